# SSL policies against the lab's REAL servers, every connection through the lab's OpenSSH bastion (in netns mode the
# databases are reachable ONLY through it): each SSL mode against TLS and plaintext servers, certificate chain and name
# checks through the tunnel, and the workspace's Default and Minimum levels.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab isolates the databases" } else { $null }

    # Every mode against every server an engine speaks to. Strict is the alias of VerifyFull.
    $Servers = @(
        @{ Type = 'PostgreSQL'; Server = 'postgresTls' }, @{ Type = 'PostgreSQL'; Server = 'postgresPlain' }
        @{ Type = 'Redshift'; Server = 'postgresTls' }, @{ Type = 'Redshift'; Server = 'postgresPlain' }
        @{ Type = 'MySQL'; Server = 'mariadb' }, @{ Type = 'MariaDB'; Server = 'mariadb' }, @{ Type = 'MindsDB'; Server = 'mariadb' }
    )
    $Matrix = foreach ($s in $Servers) {
        $modes = 'Preferred', 'Required', 'VerifyCA', 'VerifyFull'
        if ($s.Type -in 'PostgreSQL', 'MariaDB') { $modes += 'Strict' }
        foreach ($mode in $modes) {
            $tls = $s.Server -ne 'postgresPlain'
            $effective = if ($mode -eq 'Strict') { 'VerifyFull' } else { $mode }
            $outcome = if ($tls) {
                "encrypted, certificate validated: $($effective -in 'VerifyCA', 'VerifyFull'), name verified: $($effective -eq 'VerifyFull')"
            }
            elseif ($mode -eq 'Preferred') { 'connects in plaintext with a warning' }
            else { 'SslNotAvailable' }
            @{ Type = $s.Type; Server = $s.Server; Mode = $mode; Effective = $effective; Tls = $tls; Outcome = $outcome }
        }
    }
    $Engines = @(
        @{ Type = 'PostgreSQL'; Server = 'postgresTls' }
        @{ Type = 'MariaDB'; Server = 'mariadb' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints





    function New-LabIntegration {
        # An integration of $Type for the lab server $Server, through the bastion; extra parameters are passed on.
        param([string] $Name, [string] $Type, [string] $Server, [hashtable] $Extra = @{})
        $db = $lab.$Server
        $params = @{
            Name = $Name; Type = $Type; HostName = $db.hostName; Port = [int]$db.port; Database = $db.database
            Credential = New-LabCredential $db
        }
        foreach ($k in $Extra.Keys) { $params[$k] = $Extra[$k] }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    function Get-LiveTunnels { @(Get-SshTunnel | Where-Object { "$($_.State)" -ne 'Stopped' }) }

    function Test-TcpConnect([string] $HostName, [int] $Port, [int] $TimeoutMs = 3000) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $task = $client.ConnectAsync($HostName, $Port)
            if (-not $task.Wait($TimeoutMs)) { return $false }
            return $client.Connected
        }
        catch { return $false }
        finally { $client.Dispose() }
    }

    function Wait-LogLine([string] $Path, [int] $Skip, [string] $Pattern, [double] $TimeoutSeconds = 10) {
        # True once a line after line $Skip matches $Pattern, false when the deadline passes first.
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            if (@(Get-Content -Path $Path | Select-Object -Skip $Skip | Where-Object { $_ -match $Pattern }).Count -gt 0) { return $true }
            if ([DateTime]::UtcNow -ge $deadline) { return $false }
            Start-Sleep -Milliseconds 200
        }
    }

    function Get-UncertifiedDbName {
        # A name the bastion resolves to the database server but that its certificate does not hold (netns only).
        if (-not $lab -or $lab.mode -ne 'netns') { return $null }
        $hosts = "/etc/netns/$($lab.bastionNamespace)/hosts"
        if (-not (Test-Path $hosts)) { return $null }
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $lab.ca.serverCertPath))
        $names = foreach ($line in Get-Content $hosts) {
            $fields = @($line -split '\s+' | Where-Object { $_ })
            if ($fields.Count -gt 1 -and $fields[0] -eq $lab.network.dbAddress) { $fields | Select-Object -Skip 1 }
        }
        $names | Where-Object { -not $cert.MatchesHostname($_, $true, $false) } | Select-Object -First 1
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'SSL modes against TLS and plaintext servers, through the bastion' -Tag Lab {
    BeforeAll { if ($lab) { Initialize-LabWorkspace } }
    AfterAll { Remove-LabWorkspace }

    It 'cannot reach the databases except through the bastion (netns)' -Skip:(Skip-When $NoNetns) {
        $db = $lab.postgresTls
        Test-TcpConnect $db.host $db.port | Should -BeFalse -Because 'in netns mode the database is reachable only through the bastion'
        $report = Test-SecureConnection -Type PostgreSQL -HostName $db.host -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode Required -ErrorAction Stop
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'ConnectionFailed'
    }

    It '<Type> -> <Server> with <Mode>: <Outcome>' -Skip:(Skip-When $NoNetns) -TestCases $Matrix {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $($Server): $($db.reason)"; return }
        $name = "$Type-$Server-$Mode".ToLowerInvariant()
        $extra = @{ SslMode = $Mode }
        if ($Effective -in 'VerifyCA', 'VerifyFull') { $extra.CaCertificatePath = $lab.ca.labCaPath }
        $i = New-LabIntegration -Name $name -Type $Type -Server $Server -Extra $extra
        "$($i.SslMode)" | Should -Be $Effective
        $i.SslModeSource | Should -Be 'Integration'

        if (-not $Tls -and $Mode -ne 'Preferred') {
            $report = Test-SecureConnection $name -ErrorAction Stop
            $report.Connected | Should -BeFalse
            $report.ErrorId | Should -Be 'SslNotAvailable'
            $report.Reason | Should -Match 'requires TLS'
            { Invoke-SecureQuery $name 'select count(*) from people' -ErrorAction Stop } |
                Should -Throw -ErrorId 'SslNotAvailable,SecureConnect.Commands.InvokeSecureQueryCommand'
            return
        }

        $r = Test-SecureConnection $name -ErrorAction Stop
        $r | Should -BeOfType ([SecureConnect.ConnectionReport])
        $r.Integration | Should -Be $name
        "$($r.Type)" | Should -Be $Type
        "$($r.SslMode)" | Should -Be $Effective
        $r.Endpoint | Should -Be "$($db.hostName):$($db.port)"
        $r.Via | Should -BeLike 'SSH tunnel #*'
        $r.ServerVersion | Should -Not -BeNullOrEmpty
        $r.ClientAddressSeenByServer | Should -Be $lab.network.bastionDbSideAddress
        $warnings = $r.Warnings -join "`n"
        if ($Tls) {
            $r.Encrypted | Should -BeTrue
            $r.TlsProtocol | Should -Match '^TLSv1\.[23]$'
            $r.CipherSuite | Should -Not -BeNullOrEmpty
            $r.CertificateSubject | Should -Match 'CN=db\.lab\.internal'
            $r.CertificateValidated | Should -Be ($Effective -in 'VerifyCA', 'VerifyFull')
            $r.HostNameVerified | Should -Be ($Effective -eq 'VerifyFull')
            $warnings | Should -Not -Match 'plaintext'
            if ($Effective -in 'Preferred', 'Required') { $warnings | Should -Match 'not validated' } else { $warnings | Should -Not -Match 'not validated' }
        }
        else {
            $r.Encrypted | Should -BeFalse
            $r.TlsProtocol | Should -BeNullOrEmpty
            $r.CertificateValidated | Should -BeFalse
            $r.HostNameVerified | Should -BeFalse
            $warnings | Should -Match 'plaintext'
        }
        Invoke-SecureQuery $name 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
    }
}

Describe 'Certificate name and CA checks through the tunnel' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $script:uncertifiedName = Get-UncertifiedDbName
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'VerifyFull passes for <Type> at the name in the certificate, checked against it and not against 127.0.0.1' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $($Server): $($db.reason)"; return }
        $name = "full-$Type".ToLowerInvariant()
        New-LabIntegration -Name $name -Type $Type -Server $Server -Extra @{ SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath } | Out-Null
        $r = Test-SecureConnection $name -ErrorAction Stop
        $r.Via | Should -Match '^SSH tunnel #\d+ .*127\.0\.0\.1:\d+'
        $r.Endpoint | Should -Be "$($db.hostName):$($db.port)"
        $r.Encrypted | Should -BeTrue
        $r.CertificateValidated | Should -BeTrue
        $r.HostNameVerified | Should -BeTrue
        $r.CertificateIssuer | Should -Match 'SecureConnect Lab CA'
        (Invoke-SecureQuery $name 'select name from people where id = 1' -ErrorAction Stop).name | Should -Be 'Ada Lovelace'
    }

    It 'VerifyFull passes ad hoc over a Start-SshTunnel tunnel (-Tunnel) with -HostName the certificate holds' -Skip:(Skip-When $NoLab) {
        $db = $lab.postgresTls
        $t = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $db.hostName -RemotePort $db.port
        $adHoc = @{ Type = 'PostgreSQL'; HostName = $db.hostName; Port = [int]$db.port; Database = $db.database; Credential = (New-LabCredential $db); Tunnel = $t; CaCertificatePath = $lab.ca.labCaPath }
        $r = Test-SecureConnection @adHoc -SslMode Strict -ErrorAction Stop
        $r.Via | Should -BeLike "SSH tunnel #$($t.Id) *"
        "$($r.SslMode)" | Should -Be 'VerifyFull'
        $r.HostNameVerified | Should -BeTrue
        Invoke-SecureQuery @adHoc -SslMode VerifyFull -Query 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
        $t.TotalConnections | Should -BeGreaterOrEqual 2
    }

    It 'VerifyFull refuses <Type> at a name that reaches the server but that its certificate does not hold: SslCertificateInvalid' -Skip:(Skip-When $NoNetns) -TestCases $Engines {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $($Server): $($db.reason)"; return }
        if (-not $uncertifiedName) { Set-ItResult -Skipped -Because "the bastion resolves no name to $($lab.network.dbAddress) that the server certificate does not hold"; return }
        Write-Host "    a name the certificate does not hold: $uncertifiedName"
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $lab.ca.serverCertPath))
        $cert.MatchesHostname($uncertifiedName, $true, $false) | Should -BeFalse

        # The name reaches the same server: VerifyCA (chain only) connects.
        $ca = "ca-$Type".ToLowerInvariant()
        New-SecureIntegration -Name $ca -Type $Type -HostName $uncertifiedName -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode VerifyCA -CaCertificatePath $lab.ca.labCaPath @ssh | Out-Null
        $r = Test-SecureConnection $ca -ErrorAction Stop
        $r.CertificateValidated | Should -BeTrue
        $r.HostNameVerified | Should -BeFalse

        $full = "wrongname-$Type".ToLowerInvariant()
        New-SecureIntegration -Name $full -Type $Type -HostName $uncertifiedName -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath @ssh | Out-Null
        $report = Test-SecureConnection $full -ErrorAction Stop
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'SslCertificateInvalid'
        $report.Reason | Should -Match 'does not hold the name'
        $report.Reason | Should -Match ([regex]::Escape("'$uncertifiedName'"))
        $err = Get-ErrorRecord { Invoke-SecureQuery $full 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'SslCertificateInvalid,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match 'does not hold the name'
    }

    It 'VerifyFull refuses an ad hoc -HostName the certificate does not hold, over a tunnel to the right server' -Skip:(Skip-When $NoNetns) {
        if (-not $uncertifiedName) { Set-ItResult -Skipped -Because "the bastion resolves no name to $($lab.network.dbAddress) that the server certificate does not hold"; return }
        $db = $lab.postgresTls
        $t = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $db.hostName -RemotePort $db.port
        $report = Test-SecureConnection -Type PostgreSQL -HostName $uncertifiedName -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -Tunnel $t -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -ErrorAction Stop
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'SslCertificateInvalid'
        $report.Reason | Should -Match 'does not hold the name'
    }

    It 'the rogue CA fails <Type> under VerifyCA and VerifyFull (SslCertificateInvalid); the lab CA passes' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $($Server): $($db.reason)"; return }
        $name = "rogue-$Type".ToLowerInvariant()
        New-LabIntegration -Name $name -Type $Type -Server $Server -Extra @{ SslMode = 'VerifyCA'; CaCertificatePath = $lab.ca.rogueCaPath } | Out-Null
        foreach ($mode in 'VerifyCA', 'VerifyFull') {
            Set-SslPolicy -Integration $name -Mode $mode | Out-Null
            $report = Test-SecureConnection $name -ErrorAction Stop
            $report.Connected | Should -BeFalse -Because "mode $mode"
            $report.ErrorId | Should -Be 'SslCertificateInvalid' -Because "mode $mode"
            $report.Reason | Should -Match 'not signed by the trusted CA'
            $report.Reason | Should -Match 'Rogue'
            { Invoke-SecureQuery $name 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId 'SslCertificateInvalid,SecureConnect.Commands.InvokeSecureQueryCommand'
        }
        # The same integration with the CA that signed the server's certificate.
        $setting = Set-SslPolicy -Integration $name -Mode VerifyCA -CaCertificatePath $lab.ca.labCaPath
        "$($setting.EffectiveMode)" | Should -Be 'VerifyCA'
        $r = Test-SecureConnection $name -ErrorAction Stop
        $r.CertificateValidated | Should -BeTrue
        $r.HostNameVerified | Should -BeFalse
    }
}

Describe 'Revocation lists (-CrlPath), checked offline as libpq''s sslcrl' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            # CRLs from the lab CA with openssl: one that names nothing, one that revokes the servers' certificate.
            $script:crlDir = Join-Path ([IO.Path]::GetTempPath()) ("sc-crl-" + [guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory $crlDir | Out-Null
            Set-Content (Join-Path $crlDir 'index.txt') -Value $null -NoNewline
            Set-Content (Join-Path $crlDir 'crlnumber') '1000'
            $cnf = Join-Path $crlDir 'ca.cnf'
            Set-Content $cnf @(
                '[ ca ]', 'default_ca = lab', '[ lab ]', "database = $crlDir/index.txt", "crlnumber = $crlDir/crlnumber",
                'default_md = sha256', 'default_crl_days = 2'
            )
            function Invoke-OpenSsl([string[]] $Arguments) {
                $r = Invoke-Native -FilePath (Get-Command openssl).Source -Arguments $Arguments -TimeoutSeconds 30
                if ($r.ExitCode -ne 0) { throw "openssl $($Arguments -join ' ') failed: $($r.Error)" }
            }
            $ca = @('-config', $cnf, '-keyfile', $lab.ca.labCaKeyPath, '-cert', $lab.ca.labCaPath)
            $script:cleanCrl = Join-Path $crlDir 'clean.crl'
            Invoke-OpenSsl (@('ca', '-gencrl') + $ca + @('-out', $cleanCrl))
            Invoke-OpenSsl (@('ca', '-revoke', $lab.ca.serverCertPath) + $ca)
            $script:revokingCrl = Join-Path $crlDir 'revoking.crl'
            Invoke-OpenSsl (@('ca', '-gencrl') + $ca + @('-out', $revokingCrl))
        }
    }
    AfterAll {
        Remove-LabWorkspace
        if ($crlDir) { Remove-Item -Recurse -Force $crlDir -ErrorAction SilentlyContinue }
    }

    It 'connects when the list does not name the server''s certificate, and refuses it once the CA revoked it (SslCertificateInvalid)' -Skip:(Skip-When $NoLab) {
        New-LabIntegration -Name 'crl' -Type PostgreSQL -Server 'postgresTls' -Extra @{ SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; CrlPath = $cleanCrl } | Out-Null
        Test-Path (Join-Path $ws 'ca/crl.crl') | Should -BeTrue
        (Invoke-SecureQuery crl 'select count(*) from people' -As Scalar -ErrorAction Stop) | Should -Be 5

        Set-SecureIntegration -Name 'crl' -CrlPath $revokingCrl
        $err = Get-ErrorRecord { Invoke-SecureQuery crl 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'SslCertificateInvalid,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match 'revoked'
    }

    It 'refuses a file that is not a revocation list (CrlInvalid) and stores nothing' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'badcrl' -Type PostgreSQL -HostName 'db.example.test' -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -CrlPath $lab.ca.labCaPath -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'CrlInvalid,SecureConnect.Commands.NewSecureIntegrationCommand'
        @(Get-SecureIntegration | Where-Object Name -eq 'badcrl').Count | Should -Be 0
    }
}

Describe 'Set-SslPolicy and Get-SslPolicy: minimum, default, integration' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'shows the three levels, each effective mode with its source, and which integrations are below the minimum' {
        New-SecureIntegration -Name 'own' -Type PostgreSQL -HostName 'a.example.test' -SslMode VerifyCA | Out-Null
        New-SecureIntegration -Name 'inherits' -Type MySQL -HostName 'b.example.test' | Out-Null

        $p = @(Get-SslPolicy)
        $p | ForEach-Object { $_ | Should -BeOfType ([SecureConnect.SslPolicySetting]) }
        $p.Scope | Should -Be @('Minimum', 'Default', 'Integration', 'Integration')
        $p[0].Mode | Should -BeNullOrEmpty
        $p[0].Source | Should -Be 'NotSet'
        $p[1].Mode | Should -BeNullOrEmpty
        "$($p[1].EffectiveMode)" | Should -Be 'Preferred'
        $p[1].Source | Should -Be 'BuiltIn'
        $inherits = $p | Where-Object Integration -eq 'inherits'
        $inherits.Mode | Should -BeNullOrEmpty
        "$($inherits.EffectiveMode)" | Should -Be 'Preferred'
        $inherits.Source | Should -Be 'BuiltIn'

        $d = Set-SslPolicy -Default -Mode Required
        $d.Scope | Should -Be 'Default'
        "$($d.Mode)" | Should -Be 'Required'
        $m = Set-SslPolicy -Minimum VerifyCA
        $m.Scope | Should -Be 'Minimum'
        "$($m.Mode)" | Should -Be 'VerifyCA'

        $p = @(Get-SslPolicy)
        $p.Scope | Should -Be @('Minimum', 'Default', 'Integration', 'Integration')
        "$($p[0].Mode)" | Should -Be 'VerifyCA'
        $p[0].Source | Should -Be 'Minimum'
        "$($p[1].Mode)" | Should -Be 'Required'
        "$($p[1].EffectiveMode)" | Should -Be 'Required'
        $p[1].Source | Should -Be 'Default'
        $own = $p | Where-Object Integration -eq 'own'
        "$($own.Mode)" | Should -Be 'VerifyCA'
        "$($own.EffectiveMode)" | Should -Be 'VerifyCA'
        $own.Source | Should -Be 'Integration'
        $own.BelowMinimum | Should -BeFalse
        $inherits = $p | Where-Object Integration -eq 'inherits'
        $inherits.Mode | Should -BeNullOrEmpty
        "$($inherits.EffectiveMode)" | Should -Be 'Required'
        $inherits.Source | Should -Be 'Default'
        $inherits.BelowMinimum | Should -BeTrue

        # -Integration lists only those integrations (wildcards), without the workspace levels.
        $only = @(Get-SslPolicy -Integration 'inh*')
        $only.Count | Should -Be 1
        $only[0].Integration | Should -Be 'inherits'
        (Get-SecureIntegration -Name 'inherits').SslModeSource | Should -Be 'Default'
        "$((Get-SecureIntegration -Name 'inherits').SslMode)" | Should -Be 'Required'
    }

    It 'takes Strict for VerifyFull in -Mode, -Default -Mode and -Minimum' {
        New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName 'a.example.test' | Out-Null
        "$((Set-SslPolicy -Integration 'x' -Mode Strict).EffectiveMode)" | Should -Be 'VerifyFull'
        "$((Set-SslPolicy -Default -Mode Strict).Mode)" | Should -Be 'VerifyFull'
        "$((Set-SslPolicy -Minimum Strict).Mode)" | Should -Be 'VerifyFull'
        $p = @(Get-SslPolicy)
        "$($p[0].Mode)" | Should -Be 'VerifyFull'
        "$($p[1].Mode)" | Should -Be 'VerifyFull'
        ($p | Where-Object Integration -eq 'x').BelowMinimum | Should -BeFalse
    }

    It 'an integration''s own mode wins over the default, below the minimum or not' {
        New-SecureIntegration -Name 'lax' -Type PostgreSQL -HostName 'a.example.test' -SslMode Preferred | Out-Null
        Set-SslPolicy -Default -Mode VerifyFull | Out-Null
        Set-SslPolicy -Minimum Required | Out-Null
        $i = Get-SecureIntegration -Name 'lax'
        "$($i.SslMode)" | Should -Be 'Preferred'
        $i.SslModeSource | Should -Be 'Integration'
        (Get-SslPolicy -Integration 'lax').BelowMinimum | Should -BeTrue
        $s = Set-SslPolicy -Integration 'lax' -Mode Required
        "$($s.EffectiveMode)" | Should -Be 'Required'
        $s.BelowMinimum | Should -BeFalse
    }

    It 'takes the mode of -Default as -Minimum takes its own (Set-SslPolicy -Default VerifyCA), and outputs what Get-SslPolicy shows' {
        New-SecureIntegration -Name 'inherits' -Type PostgreSQL -HostName 'a.example.test' | Out-Null
        $d = Set-SslPolicy -Default VerifyCA
        $d.Scope | Should -Be 'Default'
        "$($d.Mode)" | Should -Be 'VerifyCA'
        "$($d.EffectiveMode)" | Should -Be 'VerifyCA'
        $d.Source | Should -Be 'Default'
        $m = Set-SslPolicy -Minimum Required
        "$($m.Mode)" | Should -Be 'Required'

        # The objects Set-SslPolicy returns are the rows Get-SslPolicy shows, field by field.
        $p = @(Get-SslPolicy)
        foreach ($pair in @(@($m, $p[0]), @($d, $p[1]))) {
            foreach ($field in 'Scope', 'Integration', 'Mode', 'EffectiveMode', 'Source', 'BelowMinimum') {
                "$($pair[0].$field)" | Should -Be "$($pair[1].$field)" -Because "Set and Get agree on $field of $($pair[1].Scope)"
            }
        }
        "$((Get-SecureIntegration -Name 'inherits').SslMode)" | Should -Be 'VerifyCA'

        # The named form still works, and Strict is VerifyFull in both.
        "$((Set-SslPolicy -Default -Mode Required).Mode)" | Should -Be 'Required'
        "$((Set-SslPolicy -Default Strict).Mode)" | Should -Be 'VerifyFull'
    }

    It 'says which integrations a new minimum or default leaves below the minimum, and marks a default below it' {
        New-SecureIntegration -Name 'lax' -Type PostgreSQL -HostName 'a.example.test' -SslMode Preferred | Out-Null
        New-SecureIntegration -Name 'strict' -Type PostgreSQL -HostName 'b.example.test' -SslMode VerifyFull | Out-Null
        $w = $null
        Set-SslPolicy -Minimum Required -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        @($w | Where-Object { "$_" -like "*'lax' uses SSL mode Preferred*below the workspace minimum Required*" }).Count | Should -Be 1
        @($w | Where-Object { "$_" -like "*'strict'*" }).Count | Should -Be 0

        $w = $null
        $d = Set-SslPolicy -Default Preferred -WarningVariable w -WarningAction SilentlyContinue
        $d.BelowMinimum | Should -BeTrue
        (Get-SslPolicy)[1].BelowMinimum | Should -BeTrue
        @($w | Where-Object { "$_" -like '*workspace default Preferred is below the workspace minimum Required*Set-SslPolicy -Default Required' }).Count | Should -Be 1

        $w = $null
        $d = Set-SslPolicy -Default VerifyCA -WarningVariable w -WarningAction SilentlyContinue
        $d.BelowMinimum | Should -BeFalse
        @($w | Where-Object { "$_" -like '*workspace default*' }).Count | Should -Be 0
    }

    It 'refuses an integration that does not exist (IntegrationNotFound), and changes nothing with -WhatIf' {
        { Set-SslPolicy -Integration 'missing' -Mode VerifyFull -ErrorAction Stop } |
            Should -Throw -ErrorId 'IntegrationNotFound,SecureConnect.Commands.SetSslPolicyCommand'
        New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName 'a.example.test' | Out-Null
        Set-SslPolicy -Integration 'x' -Mode VerifyFull -WhatIf | Should -BeNullOrEmpty
        Set-SslPolicy -Minimum VerifyFull -WhatIf | Should -BeNullOrEmpty
        Set-SslPolicy -Default -Mode VerifyFull -WhatIf | Should -BeNullOrEmpty
        $p = @(Get-SslPolicy)
        $p[0].Source | Should -Be 'NotSet'
        $p[1].Source | Should -Be 'BuiltIn'
        ($p | Where-Object Integration -eq 'x').Source | Should -Be 'BuiltIn'
    }
}

Describe 'The workspace Default and Minimum at connection time' -Tag Lab {
    BeforeEach { if ($lab) { Initialize-LabWorkspace } }
    AfterEach { Remove-LabWorkspace }

    It 'integrations without their own mode connect with the Default (SslModeSource Default)' -Skip:(Skip-When $NoLab) {
        $tls = New-LabIntegration -Name 'tls' -Type PostgreSQL -Server 'postgresTls' -Extra @{ CaCertificatePath = $lab.ca.labCaPath }
        $tls.SslModeSource | Should -Be 'BuiltIn'
        "$($tls.SslMode)" | Should -Be 'Preferred'
        $own = New-LabIntegration -Name 'own' -Type PostgreSQL -Server 'postgresTls' -Extra @{ SslMode = 'Required' }
        $plain = $null
        if ($lab.postgresPlain.available) {
            $plain = New-LabIntegration -Name 'plain' -Type PostgreSQL -Server 'postgresPlain'
            (Test-SecureConnection 'plain' -ErrorAction Stop).Encrypted | Should -BeFalse -Because 'the built-in default is Preferred'
        }
        (Test-SecureConnection 'tls' -ErrorAction Stop).HostNameVerified | Should -BeFalse

        Set-SslPolicy -Default -Mode VerifyFull | Out-Null
        $i = Get-SecureIntegration -Name 'tls'
        $i.SslModeSource | Should -Be 'Default'
        "$($i.SslMode)" | Should -Be 'VerifyFull'
        $r = Test-SecureConnection 'tls' -ErrorAction Stop
        "$($r.SslMode)" | Should -Be 'VerifyFull'
        $r.CertificateValidated | Should -BeTrue
        $r.HostNameVerified | Should -BeTrue
        if ($plain) {
            (Test-SecureConnection 'plain' -ErrorAction Stop).ErrorId | Should -Be 'SslNotAvailable'
        }

        # An integration with its own mode keeps it.
        (Get-SecureIntegration -Name 'own').SslModeSource | Should -Be 'Integration'
        $r = Test-SecureConnection 'own' -ErrorAction Stop
        "$($r.SslMode)" | Should -Be 'Required'
        $r.Encrypted | Should -BeTrue
        $r.CertificateValidated | Should -BeFalse
    }

    It 'the Minimum refuses a query below it before any connection: no tunnel, nothing in the server log' -Skip:(Skip-When $NoLab) {
        $db = $lab.postgresTls
        $refusedApp = 'sc-min-refused-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $allowedApp = 'sc-min-allowed-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        New-LabIntegration -Name 'low' -Type PostgreSQL -Server 'postgresTls' -Extra @{ SslMode = 'Required'; CaCertificatePath = $lab.ca.labCaPath; Option = @{ 'Application Name' = $refusedApp } } | Out-Null
        New-LabIntegration -Name 'nomode' -Type PostgreSQL -Server 'postgresTls' -Extra @{ Option = @{ 'Application Name' = $refusedApp } } | Out-Null
        Set-SslPolicy -Minimum VerifyCA | Out-Null
        Get-SshTunnel | Stop-SshTunnel
        @(Get-LiveTunnels).Count | Should -Be 0
        $logStart = @(Get-Content -Path $db.logPath).Count

        foreach ($name in 'low', 'nomode') {
            $err = Get-ErrorRecord { Invoke-SecureQuery $name 'select count(*) from people' -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'SslPolicyViolation,SecureConnect.Commands.InvokeSecureQueryCommand' -Because $name
            $err.Exception.Message | Should -Match 'below the workspace minimum VerifyCA'
            { Test-SecureConnection $name -ErrorAction Stop } | Should -Throw -ErrorId 'SslPolicyViolation,SecureConnect.Commands.TestSecureConnectionCommand'
        }
        # Ad hoc too, before even trying the (unroutable from here) address.
        { Invoke-SecureQuery -Type PostgreSQL -HostName $db.host -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode Required -Query 'select 1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SslPolicyViolation,SecureConnect.Commands.InvokeSecureQueryCommand'
        @(Get-LiveTunnels).Count | Should -Be 0 -Because 'no tunnel may be started for a refused query'
        (Get-SslPolicy -Integration 'low').BelowMinimum | Should -BeTrue

        # Raised to the minimum, the same integration connects: its tunnel appears, and the server logs it.
        Set-SslPolicy -Integration 'low' -Mode VerifyFull | Out-Null
        Set-SecureIntegration -Name 'low' -Option @{ 'Application Name' = $allowedApp }
        Invoke-SecureQuery 'low' 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
        @(Get-LiveTunnels).Count | Should -Be 1
        Wait-LogLine -Path $db.logPath -Skip $logStart -Pattern ([regex]::Escape("application_name=$allowedApp")) | Should -BeTrue -Because 'log_connections logs the allowed connection'
        # Logged in order: had the refused queries connected, their lines would be there before it.
        @(Get-Content -Path $db.logPath | Select-Object -Skip $logStart | Where-Object { $_ -match [regex]::Escape($refusedApp) }).Count | Should -Be 0
    }
}

Describe 'A workspace.json edited by hand: SSL levels' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-Item -ItemType Directory -Path $ws | Out-Null
        $script:settingsFile = Join-Path $ws 'workspace.json'
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It '"Strict" (the documented alias) in the file reads as VerifyFull: minimum, default and an integration''s mode' {
        Set-Content -Path $settingsFile -Value '{ "version": 1, "sslPolicy": { "minimum": "Strict", "default": "strict" }, "integrations": { "db": { "type": "PostgreSQL", "hostName": "db.example.test", "port": 5432, "sslMode": "Strict" }, "lax": { "type": "PostgreSQL", "hostName": "db.example.test", "port": 5432, "sslMode": "Required" } } }'
        $p = @(Get-SslPolicy)
        "$($p[0].Mode)" | Should -Be 'VerifyFull'
        $p[0].Source | Should -Be 'Minimum'
        "$($p[1].Mode)" | Should -Be 'VerifyFull'
        $db = $p | Where-Object Integration -eq 'db'
        "$($db.EffectiveMode)" | Should -Be 'VerifyFull'
        $db.BelowMinimum | Should -BeFalse
        ($p | Where-Object Integration -eq 'lax').BelowMinimum | Should -BeTrue
    }

    It '"minimum": <Json> is WorkspaceCorrupt naming the file, $.sslPolicy.minimum and the value, never "no minimum"' -TestCases @(
        @{ Json = '"VerifyFul"' }
        @{ Json = '3' }
        @{ Json = '{}' }
        @{ Json = '"3"' }
    ) {
        $content = '{ "version": 1, "sslPolicy": { "minimum": ' + $Json + ' }, "integrations": { "lax": { "type": "PostgreSQL", "hostName": "db.example.test", "port": 5432, "sslMode": "Preferred" } } }'
        Set-Content -Path $settingsFile -Value $content -NoNewline
        $err = Get-ErrorRecord { Get-SslPolicy -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetSslPolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match ([regex]::Escape($settingsFile))
        $err.Exception.Message | Should -Match ([regex]::Escape("$Json at `$.sslPolicy.minimum"))

        # A query would otherwise run with no floor at all: it stops before any connection.
        { Invoke-SecureQuery 'lax' 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.InvokeSecureQueryCommand'
        { Set-SslPolicy -Default -Mode Required -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.SetSslPolicyCommand'
        Get-Content -Raw $settingsFile | Should -BeExactly $content
    }

    It '"default": <Json> and an integration''s "sslMode": <Json> are WorkspaceCorrupt with their JSON paths' -TestCases @(
        @{ Json = '"VerifyFul"' }
        @{ Json = '0' }
    ) {
        Set-Content -Path $settingsFile -Value ('{ "version": 1, "sslPolicy": { "default": ' + $Json + ' } }')
        $err = Get-ErrorRecord { Get-SslPolicy -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetSslPolicyCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape("$Json at `$.sslPolicy.default"))

        Set-Content -Path $settingsFile -Value ('{ "version": 1, "integrations": { "db": { "type": "PostgreSQL", "hostName": "db.example.test", "port": 5432, "sslMode": ' + $Json + ' } } }')
        $err = Get-ErrorRecord { Get-SecureIntegration -Name 'db' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetSecureIntegrationCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape("$Json at `$.integrations.db.sslMode"))
    }
}
