# The egress allowlist: configured, interface, observed and preset addresses, and rules checked by the real tools
# (iptables-restore --test, nft -c -f, the lab PostgreSQL's pg_hba_file_rules, the lab MariaDB), not by string compares.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' } elseif (-not $lab.postgresTls.available) { 'the lab has no PostgreSQL' } else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { 'the lab runs on loopback: every connection comes from 127.0.0.1' } else { $null }
    $NoIptables = if (-not (Get-Command iptables-restore -ErrorAction SilentlyContinue)) { 'iptables-restore is not installed' } else { $null }
    $NoNft = if (-not (Get-Command nft -ErrorAction SilentlyContinue)) { 'nft is not installed' } else { $null }
    $NoMariaDb = if ($NoLab) { $NoLab } elseif (-not $lab.mariadb.available) { 'the lab has no MariaDB' } elseif (-not (Get-Command mariadb -ErrorAction SilentlyContinue)) { 'the mariadb client is not installed' } else { $null }
    $NoRoot = if ((id -u) -ne '0') { 'root is needed for iptables-restore --test and nft -c' } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    function New-LabIntegration([string] $Name, $Db, [string] $Type = 'PostgreSQL') {
        $credential = [pscredential]::new($Db.user, (ConvertTo-SecureString $Db.password -AsPlainText -Force))
        New-SecureIntegration -Name $Name -Type $Type -HostName $Db.hostName -Port $Db.port -Database $Db.database -Credential $credential `
            -SslMode VerifyFull -CaCertificatePath $Db.caPath -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user -ErrorAction Stop
    }


    function Invoke-PgSuper([string] $Sql) {
        # The lab PostgreSQL's superuser, over its unix socket (no network path needed).
        $dir = Split-Path $lab.postgresTls.logPath
        $out = & runuser -u postgres -- (Get-Command psql).Source -X -q -v ON_ERROR_STOP=1 -h $dir -p $lab.postgresTls.port -U postgres -d postgres -tAc $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql as superuser failed: $out" }
        $out
    }

    function Invoke-MariaDbRoot([string] $Sql) {
        $socket = Join-Path $lab.stateDir 'mariadb.sock'
        $out = $Sql | & mariadb --no-defaults "--socket=$socket" -u root -N -B 2>&1
        if ($LASTEXITCODE -ne 0) { throw "mariadb as root failed: $out" }
        $out
    }
}

Describe 'Configured egress addresses' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'adds, lists, persists and removes addresses and networks, IPv4 and IPv6' {
        $added = Add-EgressAddress 203.0.113.7, 198.51.100.0/24, 2001:db8::/48 -Description 'runbook NAT'
        $added.Cidr | Should -Be @('203.0.113.7/32', '198.51.100.0/24', '2001:db8::/48')
        $added[2].Family | Should -Be 'IPv6'
        $added[1].PrefixLength | Should -Be 24

        $fresh = Invoke-ChildPwsh -Script 'Import-Module $env:SECURECONNECT_MODULE_PATH; (Get-EgressAllowlist).Cidr -join ","' -Environment @{ SECURECONNECT_HOME = $ws }
        $fresh.Output.Trim() | Should -Be '203.0.113.7/32,198.51.100.0/24,2001:db8::/48'

        Get-EgressAllowlist | Where-Object Family -eq IPv6 | Remove-EgressAddress
        (Get-EgressAllowlist).Cidr | Should -Be @('203.0.113.7/32', '198.51.100.0/24')
        Remove-EgressAddress 198.51.100.0/24 -WhatIf
        @(Get-EgressAllowlist).Count | Should -Be 2
    }

    It 'refuses <Value> with <ErrorId> and adds nothing of the batch' -TestCases @(
        @{ Value = '10.0.0.1/8'; ErrorId = 'HostBitsSet' }
        @{ Value = '10.1'; ErrorId = 'InvalidAddress' }
        @{ Value = 'db.example.com'; ErrorId = 'InvalidAddress' }
        @{ Value = '10.0.0.0/33'; ErrorId = 'InvalidAddress' }
    ) {
        { Add-EgressAddress 192.0.2.1, $Value -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,SecureConnect.Commands.AddEgressAddressCommand"
        Get-EgressAllowlist | Should -BeNullOrEmpty
    }

    It 'refuses duplicates (EgressAddressExists) and unknown removals (EgressAddressNotFound)' {
        Add-EgressAddress 192.0.2.0/24 | Out-Null
        { Add-EgressAddress 192.0.2.0/24 -ErrorAction Stop } | Should -Throw -ErrorId 'EgressAddressExists,SecureConnect.Commands.AddEgressAddressCommand'
        { Remove-EgressAddress 192.0.2.9 -ErrorAction Stop } | Should -Throw -ErrorId 'EgressAddressNotFound,SecureConnect.Commands.RemoveEgressAddressCommand'
    }

    It 'refuses <Value> (<Why>) with InvalidAddress naming it, in Add-EgressAddress, Remove-EgressAddress and ConvertTo-FirewallRule' -TestCases @(
        @{ Value = '010.1.1.1'; Why = 'octal 8.1.1.1 for inet_aton' }
        @{ Value = '0x0a.1.1.1'; Why = 'hex 10.1.1.1 for inet_aton' }
        @{ Value = '10.1.1.010/32'; Why = 'a leading zero' }
        @{ Value = '010.0.0.0/8'; Why = 'a leading zero in a network' }
    ) {
        $err = Get-ErrorRecord { Add-EgressAddress 192.0.2.1, $Value -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidAddress,SecureConnect.Commands.AddEgressAddressCommand'
        $err.TargetObject | Should -Be $Value
        $err.Exception.Message | Should -Match ([regex]::Escape("'$Value'"))
        Get-EgressAllowlist | Should -BeNullOrEmpty

        Add-EgressAddress 8.1.1.1, 10.1.1.1, 10.1.1.8, 8.0.0.0/8, 10.0.0.0/8 | Out-Null
        { Remove-EgressAddress $Value -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidAddress,SecureConnect.Commands.RemoveEgressAddressCommand'
        @(Get-EgressAllowlist).Count | Should -Be 5

        $rules = @(); $errors = @()
        $rules = @($Value, '192.0.2.1' | ConvertTo-FirewallRule -Format PgHba -Database app -User app -ErrorVariable errors -ErrorAction SilentlyContinue)
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'InvalidAddress,SecureConnect.Commands.ConvertToFirewallRuleCommand'
        ($rules -join "`n") | Should -Match '192\.0\.2\.1/32'
        ($rules -join "`n") | Should -Not -Match '(^|\s)(8|10)\.'
    }

    It 'warns, without refusing, when the allowlist or a rule gets <Cidr>, which allows everyone' -TestCases @(
        @{ Cidr = '0.0.0.0/0' }
        @{ Cidr = '::/0' }
    ) {
        $added = Add-EgressAddress $Cidr -WarningVariable warnings -WarningAction SilentlyContinue
        $added.Cidr | Should -Be $Cidr
        $warnings.Count | Should -Be 1
        "$($warnings[0])" | Should -Match ([regex]::Escape($Cidr))
        "$($warnings[0])" | Should -Match 'allows every'

        $rules = Get-EgressAllowlist | ConvertTo-FirewallRule -Format PgHba -WarningVariable ruleWarnings -WarningAction SilentlyContinue
        $rules | Should -Not -BeNullOrEmpty
        $ruleWarnings.Count | Should -Be 1
        "$($ruleWarnings[0])" | Should -Match ([regex]::Escape($Cidr))

        Add-EgressAddress 192.0.2.0/24 -WarningVariable none -WarningAction SilentlyContinue | Out-Null
        $none | Should -BeNullOrEmpty
        '0.0.0.0/1' | ConvertTo-FirewallRule -Format PgHba -WarningVariable none2 -WarningAction SilentlyContinue | Out-Null
        $none2 | Should -BeNullOrEmpty
    }

    It 'lists this machine''s own non-loopback addresses' {
        $interfaces = @(Get-EgressAllowlist -Source Interface)
        $interfaces | Should -Not -BeNullOrEmpty
        ($interfaces | ForEach-Object Address) | Should -Not -Contain '127.0.0.1'
        ($interfaces | ForEach-Object Address) | Should -Not -Contain '::1'
        $interfaces.Source | Select-Object -Unique | Should -Be 'Interface'
    }

    It 'ships the Deepnote preset as data: the five published addresses' {
        $preset = Get-EgressAllowlist -Preset Deepnote
        ($preset | ForEach-Object Address) | Should -Be @('3.220.159.34', '34.236.123.2', '52.5.148.98', '3.230.134.18', '3.209.101.227')
        $preset.Source | Select-Object -Unique | Should -Be 'Preset'
        Test-Path (Join-Path (Split-Path (Get-Module SecureConnect).Path) 'bin/egress-presets.json') | Should -BeTrue
        { Get-EgressAllowlist -Preset NoSuchService -ErrorAction Stop } | Should -Throw -ErrorId 'PresetNotFound,SecureConnect.Commands.GetEgressAllowlistCommand'
    }

    It 'has the about_SecureConnect_Firewall quick start' {
        $text = Get-Help about_SecureConnect_Firewall | Out-String
        foreach ($format in 'PgHba', 'MySqlGrant', 'AwsSecurityGroup', 'AzureSqlFirewall', 'GcpAuthorizedNetworks', 'Iptables', 'Nftables', 'WindowsFirewall') {
            $text | Should -Match $format
        }
    }
}

Describe 'An egress list in workspace.json edited by hand' {
    BeforeEach { $script:ws = New-TestWorkspace; New-Item -ItemType Directory $ws | Out-Null }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'is WorkspaceCorrupt for <Case>, and no change rewrites the file' -TestCases @(
        @{ Case = 'an object instead of a list'; Json = '{ "version": 1, "egress": { "cidr": "203.0.113.7/32" } }'; Path = '$.egress' }
        @{ Case = 'an entry without cidr'; Json = '{ "version": 1, "egress": [ { "description": "office" } ] }'; Path = '$.egress[0]' }
        @{ Case = 'a number as cidr'; Json = '{ "version": 1, "egress": [ { "cidr": 7 } ] }'; Path = '$.egress[0]' }
        @{ Case = 'an octal address'; Json = '{ "version": 1, "egress": [ { "cidr": "010.1.1.1/32" } ] }'; Path = '$.egress[0].cidr' }
    ) {
        $file = Join-Path $ws 'workspace.json'
        Set-Content -Path $file -Value $Json -NoNewline
        $before = [IO.File]::ReadAllBytes($file)
        $err = Get-ErrorRecord { Get-EgressAllowlist -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetEgressAllowlistCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($Path))
        $add = Get-ErrorRecord { Add-EgressAddress -Address 198.51.100.9 -ErrorAction Stop }
        $add.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.AddEgressAddressCommand'
        [IO.File]::ReadAllBytes($file) | Should -Be $before -Because 'what the file held is never replaced'
    }
}

Describe 'Firewall rules checked by the real tools' {
    BeforeAll {
        $script:ws = New-TestWorkspace
        Add-EgressAddress 203.0.113.7, 198.51.100.0/24, 2001:db8::/48 -Description 'NAT "gw"; -j ACCEPT' | Out-Null
    }
    AfterAll { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'Iptables: iptables-restore --test accepts the fragment (and refuses a broken one)' -Skip:(Skip-When $NoIptables, $NoRoot) {
        $file = Join-Path $ws 'allow.rules'
        Get-EgressAllowlist | ConvertTo-FirewallRule -Format Iptables -Port 5432 | Set-Content $file
        $out = & bash -c "iptables-restore --test --noflush < '$file'" 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        (Get-Content $file) | Should -Contain '-A SECURECONNECT-ALLOW -s 198.51.100.0/24 -p tcp -m tcp --dport 5432 -m comment --comment "NAT  gw ; -j ACCEPT" -j ACCEPT'

        # The check itself can fail: the same file with one address mangled is refused.
        (Get-Content $file) -replace '198\.51\.100\.0/24', '198.51.100.0/99' | Set-Content "$file.bad"
        & bash -c "iptables-restore --test --noflush < '$file.bad'" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'Nftables: nft -c -f accepts the script, IPv4 and IPv6' -Skip:(Skip-When $NoNft, $NoRoot) {
        $file = Join-Path $ws 'allow.nft'
        Get-EgressAllowlist | ConvertTo-FirewallRule -Format Nftables -Port 5432 -Name sc-test | Set-Content $file
        $out = & nft -c -f $file 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        (Get-Content -Raw $file) | Should -Match 'ip6 saddr 2001:db8::/48 tcp dport 5432 accept'
        (Get-Content $file) -replace 'tcp dport 5432 drop', 'tcp dport 5432 dorp' | Set-Content "$file.bad"
        & nft -c -f "$file.bad" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'AwsSecurityGroup: JSON with the expected structure' {
        $json = (Get-EgressAllowlist | ConvertTo-FirewallRule -Format AwsSecurityGroup -Port 5439) -join "`n"
        $permissions = @($json | ConvertFrom-Json)
        $permissions.Count | Should -Be 1
        $permissions[0].IpProtocol | Should -Be 'tcp'
        $permissions[0].FromPort | Should -Be 5439
        $permissions[0].ToPort | Should -Be 5439
        $permissions[0].IpRanges.CidrIp | Should -Be @('203.0.113.7/32', '198.51.100.0/24')
        $permissions[0].Ipv6Ranges.CidrIpv6 | Should -Be @('2001:db8::/48')
        $permissions[0].IpRanges[0].Description | Should -Not -Match '"'
    }

    It 'GcpAuthorizedNetworks: one command carrying the whole IPv4 list' {
        $command = Get-EgressAllowlist | ConvertTo-FirewallRule -Format GcpAuthorizedNetworks -Name orders-db | Where-Object { $_ -notlike '#*' }
        $command | Should -Be 'gcloud sql instances patch orders-db --authorized-networks=203.0.113.7/32,198.51.100.0/24'
    }

    It 'WindowsFirewall and AzureSqlFirewall: commands that parse as PowerShell' {
        foreach ($format in 'WindowsFirewall', 'AzureSqlFirewall') {
            $script = (Get-EgressAllowlist | ConvertTo-FirewallRule -Format $format -Port 1433 -Name runbooks) -join "`n"
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($script, [ref]$null, [ref]$errors)
            $errors | Should -BeNullOrEmpty
            $commands = $ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true)
            $commands.Count | Should -BeGreaterThan 0
        }
    }

    It 'needs -Port for network firewalls (PortRequired) and -User for MySqlGrant (UserRequired)' {
        { Get-EgressAllowlist | ConvertTo-FirewallRule -Format Iptables } | Should -Throw -ErrorId 'PortRequired,SecureConnect.Commands.ConvertToFirewallRuleCommand'
        { Get-EgressAllowlist | ConvertTo-FirewallRule -Format MySqlGrant } | Should -Throw -ErrorId 'UserRequired,SecureConnect.Commands.ConvertToFirewallRuleCommand'
        { Get-EgressAllowlist | ConvertTo-FirewallRule -Format PgHba -User "x' y" } | Should -Throw -ErrorId 'InvalidRuleValue,SecureConnect.Commands.ConvertToFirewallRuleCommand'
    }
}

Describe 'Observed addresses and rules applied to the lab databases' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name pg -Db $lab.postgresTls | Out-Null
        }
    }
    AfterAll {
        Get-SshTunnel | Stop-SshTunnel
        if ($lab) { Set-Content $lab.bastion.authorizedKeysPath @() }
        Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue
    }

    It 'Observed through the tunnel is the bastion''s address on the private network, and says so' -Skip:(Skip-When $NoNetns) {
        $observed = Get-EgressAllowlist -Integration pg
        $observed.Source | Should -Be 'Observed'
        $observed.PrefixLength | Should -Be 32
        $observed.Address | Should -Be $lab.network.bastionDbSideAddress
        $observed.Description | Should -Match 'bastion'
    }

    It 'Test-EgressAllowlist reports not covered, then covered by the entry that covers it' -Skip:(Skip-When $NoNetns) {
        $before = Test-EgressAllowlist -Integration pg
        $before.Covered | Should -BeFalse
        $before.Message | Should -Match 'Add-EgressAddress'
        $observed = $before.ObservedAddress
        $network = ($observed -replace '\.\d+$', '.0') + '/24'
        Add-EgressAddress $network -Description 'bastion subnet' | Out-Null
        $after = Test-EgressAllowlist -Integration pg
        $after.Covered | Should -BeTrue
        $after.CoveredBy | Should -Be $network
        $after.CoveredByDescription | Should -Be 'bastion subnet'
        Remove-EgressAddress $network
    }

    It 'Observed fails with AddressNotObserved when the server reports no client address, naming the integration' -Skip:(Skip-When $NoLab) {
        # A PostgreSQL that reports no client address (as for a connection over a local socket or some proxies): in a
        # session whose search_path puts public before pg_catalog, inet_client_addr() resolves to this stand-in.
        Invoke-SecureQuery pg 'create or replace function public.inet_client_addr() returns inet language sql as $$ select null::inet $$' -As NonQuery -ErrorAction Stop | Out-Null
        try {
            $db = $lab.postgresTls
            New-SecureIntegration -Name noaddr -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database `
                -Credential ([pscredential]::new($db.user, (ConvertTo-SecureString $db.password -AsPlainText -Force))) `
                -SslMode VerifyFull -CaCertificatePath $db.caPath -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user `
                -Option @{ 'Search Path' = 'public,pg_catalog' } -ErrorAction Stop | Out-Null
            $err = Get-ErrorRecord { Get-EgressAllowlist -Integration noaddr -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'AddressNotObserved,SecureConnect.Commands.GetEgressAllowlistCommand'
            $err.TargetObject | Should -Be 'noaddr'
            $err.Exception.Message | Should -Match "'noaddr'"
            # The control: the same server without the stand-in reports the address.
            (Get-EgressAllowlist -Integration pg -ErrorAction Stop).Address | Should -Not -BeNullOrEmpty
        }
        finally {
            Invoke-SecureQuery pg 'drop function if exists public.inet_client_addr()' -As NonQuery -ErrorAction Stop | Out-Null
            Remove-SecureIntegration -Name noaddr -ErrorAction SilentlyContinue
        }
    }

    It 'PgHba: the lab PostgreSQL loads the lines without errors; the allowed address connects, another is refused' -Skip:(Skip-When $NoNetns) {
        $hba = Invoke-PgSuper 'show hba_file'
        $original = Get-Content -Raw $hba
        try {
            $rules = Get-EgressAllowlist -Integration pg | ConvertTo-FirewallRule -Format PgHba -Database $lab.postgresTls.database -User $lab.postgresTls.user
            # Only the superuser's local socket and the generated lines: everything else is refused.
            Set-Content -Path $hba -Value (@('local all postgres peer') + $rules)
            Invoke-PgSuper 'select pg_reload_conf()' | Out-Null
            Invoke-PgSuper 'select count(*) from pg_hba_file_rules where error is not null' | Should -Be '0'
            Invoke-PgSuper "select count(*) from pg_hba_file_rules where type = 'hostssl' and auth_method = 'scram-sha-256'" | Should -Be '1'

            # Another address (the database host's own) is refused by pg_hba. The reload is asynchronous (a signal to the
            # postmaster): wait, bounded, until the new rules are in force rather than for a fixed time.
            $db = $lab.postgresTls
            $env:PGPASSWORD = $db.password
            $script:refusal = ''
            $refused = Wait-Until {
                $out = & ip netns exec $lab.dbNamespace psql "host=$($db.host) port=$($db.port) dbname=$($db.database) user=$($db.user) sslmode=require connect_timeout=5" -XAtc 'select 1' 2>&1
                $script:refusal = $out -join "`n"
                $LASTEXITCODE -ne 0
            } 20
            $refused | Should -BeTrue -Because "the reloaded pg_hba.conf must refuse the database host's own address: $refusal"
            $refusal | Should -Match 'no pg_hba.conf entry'

            # Allowed: through the tunnel the server sees the bastion's address.
            Invoke-SecureQuery pg 'select count(*) as n from people' -ErrorAction Stop | ForEach-Object n | Should -Be 5
        }
        finally {
            Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue
            Set-Content -Path $hba -Value $original -NoNewline
            Invoke-PgSuper 'select pg_reload_conf()' | Out-Null
        }
    }

    It 'MySqlGrant: the lab MariaDB runs the statements, the account requires TLS, and logs in through the tunnel' -Skip:(Skip-When $NoMariaDb) {
        $user = 'sc_egress_' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $password = [guid]::NewGuid().ToString('N')
        New-LabIntegration -Name maria -Db $lab.mariadb -Type MariaDB | Out-Null
        try {
            $observed = Get-EgressAllowlist -Integration maria
            $sql = (Get-EgressAllowlist -Integration maria | ConvertTo-FirewallRule -Format MySqlGrant -User $user -Database $lab.mariadb.database) -join "`n"
            Invoke-MariaDbRoot ($sql.Replace('<password>', $password)) | Out-Null
            $account = Invoke-MariaDbRoot "select host, ssl_type from mysql.user where user = '$user'"
            $account | Should -Be "$($observed.Address)`tANY"

            $credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
            Invoke-SecureQuery maria 'select count(*) as n from people' -Credential $credential -ErrorAction Stop | ForEach-Object n | Should -Be 5
        }
        finally {
            Invoke-MariaDbRoot "drop user if exists '$user'@'%'; select 1" | Out-Null
            foreach ($accountHost in @(Invoke-MariaDbRoot "select host from mysql.user where user = '$user'")) {
                if ($accountHost) { Invoke-MariaDbRoot "drop user '$user'@'$accountHost'" | Out-Null }
            }
        }
    }
}
