# SSH tunnels through the lab's REAL OpenSSH bastion to REAL databases. In netns mode the databases are reachable
# ONLY through the bastion, so every client that works here went through the tunnel.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { 'ssh-keygen is not installed' }
    else { $null }
    $NoPsql = if ($NoLab) { $NoLab }
    elseif (-not (Get-Command psql -ErrorAction SilentlyContinue)) { 'psql is not installed' }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoRedis = if ($NoLab) { $NoLab } elseif (-not $lab.redis.available) { "the lab has no Redis: $($lab.redis.reason)" } else { $null }
    $NoPostgres = if ($NoLab) { $NoLab } elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" } else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab can cut the link" } else { $null }
    $NoPgRedis = if ($NoPostgres) { $NoPostgres } else { $NoRedis }
    $NoNetnsRedis = if ($NoNetns) { $NoNetns } else { $NoRedis }
    $NoNetnsPgRedis = if ($NoNetns) { $NoNetns } else { $NoPgRedis }
    $NoNetnsPsql = if ($NoNetns) { $NoNetns } else { $NoPsql }
    $NoJump = if ($NoNetnsPsql) { $NoNetnsPsql } elseif (-not $lab.bastion2.available) { "the lab has no second bastion: $($lab.bastion2.reason)" } else { $null }
    $NoAuthDelay = if ($NoLab) { $NoLab } elseif (-not $lab.bastion.authDelayAvailable) { 'the lab cannot delay the bastion''s authentication (it runs without root)' } else { $null }
    $NoJumpKey = if ($NoLab) { $NoLab } elseif (-not $lab.bastion2.available) { "the lab has no second bastion: $($lab.bastion2.reason)" } elseif (-not $lab.postgresTls.available) { 'the lab has no PostgreSQL' } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    # Lines sshd (LogLevel VERBOSE) writes once a client starts user authentication.
    $script:AuthAttemptPattern = 'Accepted publickey|Failed publickey|Postponed publickey|Failed none|Accepted key|authenticating user|Starting session'


    function Test-TcpConnect([string] $HostName, [int] $Port, [int] $TimeoutMs = 3000) {
        # True when a TCP connection is accepted within the time.
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $task = $client.ConnectAsync($HostName, $Port)
            if (-not $task.Wait($TimeoutMs)) { return $false }
            return $client.Connected
        }
        catch { return $false }
        finally { $client.Dispose() }
    }

    function Test-PortBindable([int] $Port) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        try { $listener.Start(); $true } catch { $false } finally { $listener.Stop() }
    }




    function Get-PsqlConnInfo([int] $Port) {
        # verify-full cannot work against 127.0.0.1 (the certificate names the db host), so TLS is required but not name-checked.
        $db = $lab.postgresTls
        "host=127.0.0.1 port=$Port dbname=$($db.database) user=$($db.user) password=$($db.password) sslmode=require connect_timeout=10"
    }

    function Invoke-Psql([int] $Port, [string] $Sql = 'select count(*) from people', [int] $TimeoutSeconds = 60) {
        $r = Invoke-Native -FilePath (Get-Command psql).Source -Arguments @((Get-PsqlConnInfo $Port), '-XAt', '-c', $Sql) -TimeoutSeconds $TimeoutSeconds
        $last = @($r.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }) | Select-Object -Last 1
        $r | Add-Member -NotePropertyName Value -NotePropertyValue $last -PassThru
    }


    function Read-PublicKey([string] $Path) { ((Get-Content -Raw $Path).Trim() -split '\s+')[0..1] -join ' ' }


    function Add-BastionTrust {
        # Trusts the bastion with the key from the lab's own host key file (independent of Get-SshServerKey).
        Add-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -PublicKey (Read-PublicKey $lab.bastion.hostKeyPath) | Out-Null
    }

    # Splatted into Start-SshTunnel (@BastionArgs); a parameter given explicitly as well wins.
    $script:BastionArgs = if ($lab) { @{ Bastion = $lab.bastion.host; BastionPort = [int]$lab.bastion.port; User = $lab.bastion.user; ConnectTimeout = 10 } } else { @{} }

    function Get-LogLineCount([string] $Path) { @(Get-Content -Path $Path).Count }

    function Get-NewLogLines([string] $Path, [int] $Skip, [string] $Expect = 'Connection from ', [double] $TimeoutSeconds = 10) {
        # The lines added after line $Skip, once a line matching $Expect is there and the log has been quiet for 1 s.
        $logDeadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $lastCount = -1
        $quietSince = [DateTime]::UtcNow
        while ($true) {
            $lines = @(Get-Content -Path $Path | Select-Object -Skip $Skip)
            if ($lines.Count -ne $lastCount) { $lastCount = $lines.Count; $quietSince = [DateTime]::UtcNow }
            $seen = @($lines | Where-Object { $_ -match $Expect }).Count -gt 0
            if (($seen -and ([DateTime]::UtcNow - $quietSince).TotalSeconds -ge 1) -or [DateTime]::UtcNow -ge $logDeadline) { return , $lines }
            Start-Sleep -Milliseconds 200
        }
    }

    function Get-TunnelIds {
        if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { @(Get-SshTunnel | ForEach-Object Id) } else { @() }
    }

    function Initialize-TunnelTest {
        # A fresh workspace whose key the bastion accepts and whose known_hosts trusts it; tunnels already there are ignored.
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
    }

    function Get-TestTunnels {
        # The tunnels this test started that are not Stopped (anything a failed earlier test left behind is ignored).
        @(Get-SshTunnel | Where-Object { $preexistingIds -notcontains $_.Id -and "$($_.State)" -ne 'Stopped' })
    }

    function Stop-AllTunnels {
        if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel }
    }

    function Remove-TestState {
        Stop-AllTunnels
        if ($lab) { Set-AuthorizedKeys @() }
        if ($ws) { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }
    }

    # A host key nobody serves, for the mismatch tests.
    $script:keyDir = Join-Path ([IO.Path]::GetTempPath()) ("sc-tunnel-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $keyDir | Out-Null
    $script:stranger = $null
    if (Get-Command ssh-keygen -ErrorAction SilentlyContinue) {
        & ssh-keygen -q -t ed25519 -N '' -C 'stranger' -f (Join-Path $keyDir 'stranger') | Out-Null
        $script:stranger = [pscustomobject]@{
            PublicKey   = Read-PublicKey (Join-Path $keyDir 'stranger.pub')
            Fingerprint = ((& ssh-keygen -l -E sha256 -f (Join-Path $keyDir 'stranger.pub')) -split ' ')[1]
        }
    }
}

AfterAll {
    Stop-AllTunnels
    if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
    Remove-Item -Recurse -Force $keyDir -ErrorAction SilentlyContinue
}

Describe 'Start-SshTunnel to the databases behind the bastion' -Tag Lab {
    BeforeEach { Initialize-TunnelTest }
    AfterEach { Remove-TestState }

    It 'carries psql to the TLS PostgreSQL that the host cannot reach directly' -Skip:(Skip-When $NoNetnsPsql) {
        $pg = $lab.postgresTls
        # The isolation that makes this test meaningful: no direct route from the host.
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Test-TcpConnect $pg.host $pg.port 3000 | Should -BeFalse -Because 'in netns mode the database is reachable only through the bastion'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5

        $t = Start-SshTunnel @BastionArgs -RemoteHost $pg.hostName -RemotePort $pg.port
        $t | Should -BeOfType ([SecureConnect.SshTunnel])
        $t.State | Should -Be 'Up'
        $t.LocalHost | Should -Be '127.0.0.1'
        $t.LocalPort | Should -BeGreaterThan 0
        $t.RemoteHost | Should -Be $pg.hostName
        $t.RemotePort | Should -Be $pg.port
        $t.Bastion | Should -Be $lab.bastion.host
        $t.BastionPort | Should -Be $lab.bastion.port
        $t.User | Should -Be $lab.bastion.user
        $t.HostKeyFingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint

        $r = Invoke-Psql -Port $t.LocalPort
        $r.ExitCode | Should -Be 0 -Because $r.Error
        [int]$r.Value | Should -BeGreaterThan 0
        $t.TotalConnections | Should -BeGreaterOrEqual 1
    }

    It 'listens on 127.0.0.1 only, on the -LocalPort asked for' -Skip:(Skip-When $NoRedis) {
        $port = Get-FreePort
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -LocalPort $port
        $t.LocalPort | Should -Be $port
        $listeners = @([System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().GetActiveTcpListeners() | Where-Object Port -eq $port)
        $listeners.Count | Should -BeGreaterThan 0
        $listeners | ForEach-Object { $_.Address.ToString() } | Sort-Object -Unique | Should -Be '127.0.0.1'
    }

    It 'sets <Prefix>_LOCAL_HOST/_LOCAL_PORT for -Name ''<Name>'' and removes them on Stop' -Skip:(Skip-When $NoRedis) -TestCases @(
        @{ Name = 'my-redis.1'; Prefix = 'MY_REDIS_1' }
        @{ Name = 'orders_db-Primary'; Prefix = 'ORDERS_DB_PRIMARY' }
        @{ Name = 'pg.Reporting'; Prefix = 'PG_REPORTING' }
    ) {
        try {
            $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name $Name
            $t.Name | Should -BeExactly $Name
            $t.EnvironmentVariables | Sort-Object | Should -Be @("$($Prefix)_LOCAL_HOST", "$($Prefix)_LOCAL_PORT")
            [Environment]::GetEnvironmentVariable("$($Prefix)_LOCAL_HOST") | Should -Be '127.0.0.1'
            [Environment]::GetEnvironmentVariable("$($Prefix)_LOCAL_PORT") | Should -Be "$($t.LocalPort)"
            # A child process (any tool the script starts) inherits them.
            $printed = Invoke-Native -FilePath (Get-Command printenv).Source -Arguments @("$($Prefix)_LOCAL_PORT") -TimeoutSeconds 10
            $printed.Output.Trim() | Should -Be "$($t.LocalPort)"

            (Get-SshTunnel -Name $Name).Id | Should -Be $t.Id
            Stop-SshTunnel -Name $Name
            $t.State | Should -Be 'Stopped'
            [Environment]::GetEnvironmentVariable("$($Prefix)_LOCAL_HOST") | Should -BeNullOrEmpty
            [Environment]::GetEnvironmentVariable("$($Prefix)_LOCAL_PORT") | Should -BeNullOrEmpty
        }
        finally {
            foreach ($suffix in '_LOCAL_HOST', '_LOCAL_PORT') { [Environment]::SetEnvironmentVariable("$Prefix$suffix", $null) }
        }
    }

    It 'returns the same tunnel (same Id) for an identical request, and a new one for another remote port' -Skip:(Skip-When $NoPgRedis) {
        $a = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $b = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $b.Id | Should -Be $a.Id
        $b.LocalPort | Should -Be $a.LocalPort
        @(Get-TestTunnels).Count | Should -Be 1

        $c = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port
        $c.Id | Should -Not -Be $a.Id
        $c.LocalPort | Should -Not -Be $a.LocalPort
        @(Get-TestTunnels).Count | Should -Be 2
        (Get-SshTunnel -Id $c.Id).RemotePort | Should -Be $lab.postgresTls.port

        # Ids are never reused, even after every tunnel stopped.
        Get-SshTunnel | Stop-SshTunnel
        $d = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $d.Id | Should -BeGreaterThan ([Math]::Max($a.Id, $c.Id))
    }

    It 'keeps tunnels with Stop-SshTunnel -WhatIf; Get-SshTunnel | Stop-SshTunnel stops all and frees the ports' -Skip:(Skip-When $NoPgRedis) {
        $a = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'stop-a'
        $b = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -Name 'stop-b'
        (Get-SshTunnel -Name 'stop-*').Id | Sort-Object | Should -Be (@($a.Id, $b.Id) | Sort-Object)

        Get-SshTunnel | Stop-SshTunnel -WhatIf
        $a.State | Should -Be 'Up'
        $b.State | Should -Be 'Up'
        Test-TcpConnect 127.0.0.1 $a.LocalPort | Should -BeTrue

        Get-SshTunnel | Stop-SshTunnel
        $a.State | Should -Be 'Stopped'
        $b.State | Should -Be 'Stopped'
        @(Get-TestTunnels).Count | Should -Be 0
        foreach ($port in $a.LocalPort, $b.LocalPort) {
            Wait-Until { -not (Test-TcpConnect 127.0.0.1 $port 1000) } 5 | Should -BeTrue -Because "port $port must refuse connections after Stop"
            Test-PortBindable $port | Should -BeTrue -Because "port $port must be free after Stop"
        }
    }

    It 'stops one tunnel by -Id and leaves the other up' -Skip:(Skip-When $NoPgRedis) {
        $a = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $b = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port
        Stop-SshTunnel -Id $a.Id
        $a.State | Should -Be 'Stopped'
        $b.State | Should -Be 'Up'
        Test-TcpConnect 127.0.0.1 $b.LocalPort | Should -BeTrue
    }
}

Describe 'Reuse only of a tunnel that is the same in everything that matters' -Tag Lab {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
    }
    AfterEach {
        Remove-TestState
        foreach ($v in 'SECOND_LOCAL_HOST', 'SECOND_LOCAL_PORT', 'FIRST_LOCAL_HOST', 'FIRST_LOCAL_PORT', 'MY_SSH_TUNNEL_LOCAL_HOST', 'MY_SSH_TUNNEL_LOCAL_PORT', 'MY_DB_LOCAL_HOST', 'MY_DB_LOCAL_PORT', 'DB_LOCAL_HOST', 'DB_LOCAL_PORT') {
            [Environment]::SetEnvironmentVariable($v, $null)
        }
    }

    It 'checks the pinned fingerprint again: a wrong -HostKeyFingerprint fails with HostKeyMismatch although an AcceptNew tunnel is up' -Skip:(Skip-When $NoRedis) {
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyPolicy AcceptNew
        $first.State | Should -Be 'Up'
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyFingerprint $stranger.Fingerprint -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,SecureConnect.Commands.StartSshTunnelCommand'
        @(Get-TestTunnels).Id | Should -Be @($first.Id)
        $first.State | Should -Be 'Up'
    }

    It 'does not reuse a tunnel after its bastion''s key was removed from known_hosts (Strict fails with HostKeyUnknown)' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        Remove-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -Confirm:$false
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.StartSshTunnelCommand'
        $first.State | Should -Be 'Up'
    }

    It 'does not reuse a tunnel of another workspace (its known_hosts and key)' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $firstWs = $ws
        try {
            $script:ws = New-TestWorkspace
            $null = New-WorkspaceSshKey
            # The second workspace trusts nothing: Strict must fail there, not hand out the first workspace's tunnel.
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.StartSshTunnelCommand'
        }
        finally { Remove-Item -Recurse -Force $firstWs -ErrorAction SilentlyContinue }
        $first.State | Should -Be 'Up'
    }

    It 'does not reuse a tunnel that authenticated with another key (-KeyPath)' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $other = Join-Path $ws 'other_key'
        & ssh-keygen -q -t ed25519 -N '' -C 'other' -f $other | Out-Null
        Set-AuthorizedKeys @(($key | ConvertTo-AuthorizedKey), (Get-Content "$other.pub"))
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $second = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeyPath $other
        $second.Id | Should -Not -Be $first.Id
        # A -KeyPath the bastion refuses must fail, not fall back to the workspace key's tunnel.
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Stop-SshTunnel -Id $second.Id
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeyPath $other -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'SshAuthenticationFailed,SecureConnect.Commands.StartSshTunnelCommand'
    }

    It 'starts a new tunnel on the -LocalPort asked for instead of handing back one on another port' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $port = Get-FreePort
        $second = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -LocalPort $port
        $second.LocalPort | Should -Be $port
        $second.Id | Should -Not -Be $first.Id
        # The same port asked for again is that tunnel.
        (Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -LocalPort $port).Id | Should -Be $second.Id
    }

    It 'adds a second -Name to an identical tunnel: both names'' variables, one tunnel; Stop clears both' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $first = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'first'
        $second = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'second'
        $second.Id | Should -Be $first.Id
        $env:SECOND_LOCAL_HOST | Should -Be '127.0.0.1'
        $env:SECOND_LOCAL_PORT | Should -Be "$($first.LocalPort)"
        $env:FIRST_LOCAL_PORT | Should -Be "$($first.LocalPort)"
        $second.Names | Should -Be @('first', 'second')
        $second.EnvironmentVariables | Sort-Object | Should -Be @('FIRST_LOCAL_HOST', 'FIRST_LOCAL_PORT', 'SECOND_LOCAL_HOST', 'SECOND_LOCAL_PORT')
        (Get-SshTunnel -Name 'second').Id | Should -Be $first.Id
        Stop-SshTunnel -Name 'second'
        $first.State | Should -Be 'Stopped'
        $env:SECOND_LOCAL_PORT | Should -BeNullOrEmpty
        $env:FIRST_LOCAL_PORT | Should -BeNullOrEmpty
    }

    It 'takes free-text names: ''My SSH tunnel'' gives MY_SSH_TUNNEL_LOCAL_HOST/_PORT' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'My SSH tunnel'
        $t.Name | Should -BeExactly 'My SSH tunnel'
        $env:MY_SSH_TUNNEL_LOCAL_HOST | Should -Be '127.0.0.1'
        $env:MY_SSH_TUNNEL_LOCAL_PORT | Should -Be "$($t.LocalPort)"
        (Get-SshTunnel -Name 'My SSH tunnel').Id | Should -Be $t.Id
        Stop-SshTunnel -Name 'My SSH tunnel'
        $env:MY_SSH_TUNNEL_LOCAL_PORT | Should -BeNullOrEmpty
    }

    It 'refuses a name whose variables another tunnel''s name already sets (TunnelNameConflict), changing nothing' -Skip:(Skip-When $NoPgRedis) {
        Add-BastionTrust
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'my db'
        foreach ($request in @(
                @{ RemoteHost = $lab.postgresTls.hostName; RemotePort = $lab.postgresTls.port }   # another tunnel
                @{ RemoteHost = $lab.redis.hostName; RemotePort = $lab.redis.port })) {           # the same tunnel, another alias
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs @request -Name 'my-db' -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'TunnelNameConflict,SecureConnect.Commands.StartSshTunnelCommand'
            $err.Exception.Message | Should -Match 'MY_DB_LOCAL_HOST'
            $err.Exception.Message | Should -Match "'my db'"
        }
        $env:MY_DB_LOCAL_PORT | Should -Be "$($t.LocalPort)"
        @(Get-TestTunnels).Count | Should -Be 1
    }

    It 'starts one tunnel for 8 parallel Start-SshTunnel -Name db, and its variables stay set' -Skip:(Skip-When $NoRedis) {
        Add-BastionTrust
        $modulePath = $env:SECURECONNECT_MODULE_PATH
        $bastionArgs = $BastionArgs
        $remote = $lab.redis
        $ids = @(1..8 | ForEach-Object -ThrottleLimit 8 -TimeoutSeconds 120 -Parallel {
                Import-Module $using:modulePath
                $a = $using:bastionArgs
                (Start-SshTunnel @a -RemoteHost $using:remote.hostName -RemotePort $using:remote.port -Name db -ErrorAction Stop).Id
            })
        $ids.Count | Should -Be 8
        @($ids | Sort-Object -Unique).Count | Should -Be 1
        $tunnels = @(Get-TestTunnels)
        $tunnels.Count | Should -Be 1
        $tunnels[0].Id | Should -Be $ids[0]
        $env:DB_LOCAL_HOST | Should -Be '127.0.0.1'
        $env:DB_LOCAL_PORT | Should -Be "$($tunnels[0].LocalPort)"
    }
}

Describe 'A forward the bastion refuses' -Tag Lab {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Add-BastionTrust
    }
    AfterEach { Remove-TestState }

    It 'fails Start-SshTunnel with ForwardRefused naming the destination and the permitopen line that allows it' -Skip:(Skip-When $NoPgRedis) {
        $pg = $lab.postgresTls
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey -PermitOpen "$($pg.hostName):$($pg.port)")
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'refused' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'ForwardRefused,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape("$($lab.redis.hostName):$($lab.redis.port)"))
        $err.Exception.Message | Should -Match 'administratively prohibited'
        $err.Exception.Message | Should -Match ([regex]::Escape("permitopen=""$($lab.redis.hostName):$($lab.redis.port)"""))
        @(Get-TestTunnels).Count | Should -Be 0
        $env:REFUSED_LOCAL_PORT | Should -BeNullOrEmpty
    }

    It 'fails Start-SshTunnel with RemoteUnreachable when the bastion cannot connect to the remote end' -Skip:(Skip-When $NoRedis) {
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        # Nothing listens on this port of the database host.
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort 1 -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'RemoteUnreachable,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape("$($lab.redis.hostName):1"))
        $err.Exception.Message | Should -Match 'connect failed'
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'refuses a name with a control character (InvalidTunnelName) before connecting' -Skip:(Skip-When $NoRedis) {
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name "db`tprimary" -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidTunnelName,SecureConnect.Commands.StartSshTunnelCommand'
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'carries the refusal into the error of a query whose connection the bastion refuses later (ForwardRefused)' -Skip:(Skip-When $NoPgRedis) {
        $pg = $lab.postgresTls
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        $t = Start-SshTunnel @BastionArgs -RemoteHost $pg.hostName -RemotePort $pg.port -KeepAliveInterval 2
        # From now on the bastion lets this key reach Redis only; the tunnel logs in again with that restriction.
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey -PermitOpen "$($lab.redis.hostName):$($lab.redis.port)")
        Invoke-Lab 'restart-sshd', 'bastion'
        Wait-Until { $t.Reconnects -ge 1 -and "$($t.State)" -eq 'Up' } 60 | Should -BeTrue -Because "State $($t.State)"
        $query = @{
            Type = 'PostgreSQL'; HostName = $pg.hostName; Port = [int]$pg.port; Database = $pg.database; Credential = (New-LabCredential $pg)
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Tunnel = $t; Query = 'select 1'
        }
        $err = Get-ErrorRecord { Invoke-SecureQuery @query -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'ForwardRefused,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match 'administratively prohibited'
        $err.Exception.Message | Should -Match ([regex]::Escape("permitopen=""$($pg.hostName):$($pg.port)"""))
    }
}

Describe 'Host key checks' -Tag Lab {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
    }
    AfterEach { Remove-TestState }

    It 'refuses an unknown bastion with Strict (HostKeyUnknown), before authenticating, naming fingerprint and Add-SshKnownHost' -Skip:(Skip-When $NoLab) {
        $before = Get-LogLineCount $lab.bastion.logPath
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyPolicy Strict -ErrorAction Stop }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.hostKeyFingerprint))
        $err.Exception.Message | Should -Match 'Add-SshKnownHost'
        @(Get-TestTunnels).Count | Should -Be 0
        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Count | Should -Be 0

        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before) -join "`n"
        $log | Should -Match 'Connection from '
        $log | Should -Not -Match $AuthAttemptPattern
    }

    It 'trusts on first use with AcceptNew: Up, HostKeyNewlyTrusted, key recorded in known_hosts, Verbose says so' -Skip:(Skip-When $NoPgRedis) {
        $all = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyPolicy AcceptNew -Verbose 4>&1
        $t = @($all | Where-Object { $_ -is [SecureConnect.SshTunnel] })[0]
        $verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"

        $t.State | Should -Be 'Up'
        $t.HostKeyPolicy | Should -Be 'AcceptNew'
        $t.HostKeyNewlyTrusted | Should -BeTrue
        $t.HostKeyFingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint
        $verbose | Should -Match ([regex]::Escape($lab.bastion.hostKeyFingerprint))

        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Fingerprint | Should -Be @($lab.bastion.hostKeyFingerprint)
        $hostField = if ($lab.bastion.port -eq 22) { $lab.bastion.host } else { "[$($lab.bastion.host)]:$($lab.bastion.port)" }
        $found = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-F', $hostField, '-f', (Join-Path $ws 'known_hosts')) -TimeoutSeconds 10
        $found.ExitCode | Should -Be 0
        $found.Output | Should -Match ([regex]::Escape((Read-PublicKey $lab.bastion.hostKeyPath).Split(' ')[1]))

        # Known now: the next tunnel is not "newly" trusted, and Strict accepts it too.
        $second = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -HostKeyPolicy AcceptNew
        $second.HostKeyNewlyTrusted | Should -BeFalse
        $second.State | Should -Be 'Up'
        Stop-SshTunnel -Id $second.Id
        (Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -HostKeyPolicy Strict).State | Should -Be 'Up'
    }

    It 'accepts a -HostKeyFingerprint pin that matches, without any known_hosts entry' -Skip:(Skip-When $NoLab) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyFingerprint $lab.bastion.hostKeyFingerprint
        $t.State | Should -Be 'Up'
        $t.HostKeyFingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint
    }

    It 'refuses a wrong -HostKeyFingerprint pin (HostKeyMismatch) with both fingerprints, before authenticating' -Skip:(Skip-When $NoLab) {
        $before = Get-LogLineCount $lab.bastion.logPath
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyFingerprint $stranger.Fingerprint -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($stranger.Fingerprint))
        $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.hostKeyFingerprint))
        @(Get-TestTunnels).Count | Should -Be 0
        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before) -join "`n"
        $log | Should -Not -Match $AuthAttemptPattern
    }

    It 'refuses a bastion whose key differs from known_hosts (HostKeyMismatch), with Strict and with AcceptNew' -Skip:(Skip-When $NoLab) {
        Add-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -PublicKey $stranger.PublicKey | Out-Null
        foreach ($policy in 'Strict', 'AcceptNew') {
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyPolicy $policy -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,SecureConnect.Commands.StartSshTunnelCommand' -Because "policy $policy"
            $err.Exception.Message | Should -Match ([regex]::Escape($stranger.Fingerprint))
            $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.hostKeyFingerprint))
        }
        # AcceptNew did not overwrite the recorded key.
        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Fingerprint | Should -Be @($stranger.Fingerprint)
        @(Get-TestTunnels).Count | Should -Be 0
    }
}

Describe 'Authentication and argument errors' -Tag Lab {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
    }
    AfterEach { Remove-TestState }

    It 'fails with SshAuthenticationFailed when the bastion does not know the key, naming user, bastion and key' -Skip:(Skip-When $NoRedis) {
        $key = New-WorkspaceSshKey
        Set-AuthorizedKeys @()
        Add-BastionTrust
        $before = Get-LogLineCount $lab.bastion.logPath
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'SshAuthenticationFailed,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.user))
        $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.host))
        $err.Exception.Message | Should -Match ([regex]::Escape($key.Fingerprint))
        @(Get-TestTunnels).Count | Should -Be 0
        # sshd saw exactly that key offered and refused.
        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before -Expect 'Connection closed|Disconnected|Failed publickey') -join "`n"
        $log | Should -Match "Failed publickey for $([regex]::Escape($lab.bastion.user)) .*$([regex]::Escape($key.Fingerprint))"
        $log | Should -Not -Match 'Accepted publickey'
    }

    It 'fails with WorkspaceKeyNotFound when the workspace has no key' -Skip:(Skip-When $NoRedis) {
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyFingerprint $lab.bastion.hostKeyFingerprint -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceKeyNotFound,SecureConnect.Commands.StartSshTunnelCommand'
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'authenticates with -KeyPath instead of the workspace key' -Skip:(Skip-When $NoRedis) {
        New-WorkspaceSshKey | Out-Null          # present but NOT authorized
        $other = Join-Path $ws 'other_key'
        & ssh-keygen -q -t ed25519 -N '' -C 'keypath' -f $other | Out-Null
        if (-not $IsWindows) { chmod 600 $other }
        $otherFingerprint = ((& ssh-keygen -l -E sha256 -f "$other.pub") -split ' ')[1]
        Set-AuthorizedKeys @(Get-Content "$other.pub")
        Add-BastionTrust
        $before = Get-LogLineCount $lab.bastion.logPath
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeyPath $other
        $t.State | Should -Be 'Up'
        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before -Expect 'Accepted publickey') -join "`n"
        $log | Should -Match "Accepted publickey for $([regex]::Escape($lab.bastion.user)) .*$([regex]::Escape($otherFingerprint))"
    }

    It 'opens a passphrase-protected workspace key with -KeyPassphrase only' -Skip:(Skip-When $NoRedis) {
        $key = New-WorkspaceSshKey -Passphrase (ConvertTo-SecureText 'tunnel pass')
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ErrorAction Stop } |
            Should -Throw -ErrorId 'KeyPassphraseRequired,SecureConnect.Commands.StartSshTunnelCommand'
        @(Get-TestTunnels).Count | Should -Be 0
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeyPassphrase (ConvertTo-SecureText 'tunnel pass')
        $t.State | Should -Be 'Up'
    }

    It 'refuses a -Name that another tunnel to elsewhere holds (TunnelNameInUse) and keeps the first tunnel' -Skip:(Skip-When $NoPgRedis) {
        $key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        $first = Start-SshTunnel @BastionArgs -Name 'taken' -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -Name 'taken' -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'TunnelNameInUse,SecureConnect.Commands.StartSshTunnelCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'ResourceExists'
        $err.Exception.Message | Should -Match "Stop-SshTunnel -Name taken"
        @(Get-TestTunnels).Id | Should -Be @($first.Id)
        "$($first.State)" | Should -Be 'Up'
        $env:TAKEN_LOCAL_PORT | Should -Be "$($first.LocalPort)"
    }

    It 'reports an unknown -Id or -Name as TunnelNotFound, per item, and goes on with the others' -Skip:(Skip-When $NoRedis) {
        $key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        $t = Start-SshTunnel @BastionArgs -Name 'known' -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $missingId = [long]::MaxValue

        { Get-SshTunnel -Id $missingId -ErrorAction Stop } | Should -Throw -ErrorId 'TunnelNotFound,SecureConnect.Commands.GetSshTunnelCommand'
        { Get-SshTunnel -Name 'no-such-tunnel' -ErrorAction Stop } | Should -Throw -ErrorId 'TunnelNotFound,SecureConnect.Commands.GetSshTunnelCommand'
        { Stop-SshTunnel -Id $missingId -ErrorAction Stop } | Should -Throw -ErrorId 'TunnelNotFound,SecureConnect.Commands.StopSshTunnelCommand'
        { Stop-SshTunnel -Name 'no-such-tunnel' -ErrorAction Stop } | Should -Throw -ErrorId 'TunnelNotFound,SecureConnect.Commands.StopSshTunnelCommand'

        # Non-terminating: the known tunnel still comes out, with one error for the unknown id.
        $found = @(Get-SshTunnel -Id $missingId, $t.Id -ErrorVariable notFound -ErrorAction SilentlyContinue)
        $found.Id | Should -Be @($t.Id)
        @($notFound).Count | Should -Be 1
        $notFound[0].FullyQualifiedErrorId | Should -Be 'TunnelNotFound,SecureConnect.Commands.GetSshTunnelCommand'
        "$($notFound[0].CategoryInfo.Category)" | Should -Be 'ObjectNotFound'
        $notFound[0].TargetObject | Should -Be $missingId
        # A wildcard that matches nothing is not an error.
        @(Get-SshTunnel -Name 'no-such-*' -ErrorAction Stop).Count | Should -Be 0
        "$($t.State)" | Should -Be 'Up'
    }

    It 'fails with LocalPortInUse when -LocalPort is taken' -Skip:(Skip-When $NoRedis) {
        $key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        $holder = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $holder.Start()
        try {
            $port = $holder.LocalEndpoint.Port
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -LocalPort $port -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'LocalPortInUse,SecureConnect.Commands.StartSshTunnelCommand'
            @(Get-TestTunnels).Count | Should -Be 0
        }
        finally { $holder.Stop() }
    }

    It 'fails with BastionUnreachable for a closed port on 127.0.0.1, within -ConnectTimeout' {
        New-WorkspaceSshKey | Out-Null
        $port = Get-FreePort
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Start-SshTunnel -Bastion '127.0.0.1' -BastionPort $port -User 'nobody' -RemoteHost '127.0.0.1' -RemotePort 5432 -HostKeyPolicy AcceptNew -ConnectTimeout 5 -ErrorAction Stop }
        $sw.Stop()
        $err.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.StartSshTunnelCommand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 7
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'validates -<Parameter> <Value> (ParameterArgumentValidationError)' -TestCases @(
        @{ Parameter = 'RemotePort'; Value = 0 }
        @{ Parameter = 'RemotePort'; Value = 70000 }
        @{ Parameter = 'LocalPort'; Value = -1 }
        @{ Parameter = 'LocalPort'; Value = 65536 }
        @{ Parameter = 'BastionPort'; Value = 0 }
        @{ Parameter = 'BastionPort'; Value = 65536 }
    ) {
        # Everything else points at a closed loopback port, so a missing validation cannot send traffic anywhere.
        $params = @{ Bastion = '127.0.0.1'; BastionPort = (Get-FreePort); User = 'nobody'; RemoteHost = '127.0.0.1'; RemotePort = 5432; ConnectTimeout = 2 }
        $params[$Parameter] = $Value
        $err = Get-ErrorRecord { Start-SshTunnel @params -ErrorAction Stop }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError*'
        $err.Exception.Message | Should -Match $Parameter
    }
}

Describe 'Start-SshTunnel -Bastion user@host[:port], as -SshBastion and -JumpHost take it' -Tag Lab {
    BeforeEach { Initialize-TunnelTest }
    AfterEach { Remove-TestState }

    It 'takes the user and the port from -Bastion ''<Shape>'' without -User or -BastionPort' -Skip:(Skip-When $NoRedis) -TestCases @(
        @{ Shape = 'user@host:port' }, @{ Shape = 'user@host with -BastionPort' }, @{ Shape = 'host:port with -User' }
    ) {
        $target = "$($lab.bastion.host):$($lab.bastion.port)"
        $params = switch ($Shape) {
            'user@host:port' { @{ Bastion = "$($lab.bastion.user)@$target" } }
            'user@host with -BastionPort' { @{ Bastion = "$($lab.bastion.user)@$($lab.bastion.host)"; BastionPort = [int]$lab.bastion.port } }
            'host:port with -User' { @{ Bastion = $target; User = $lab.bastion.user } }
        }
        $t = Start-SshTunnel @params -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ConnectTimeout 10 -ErrorAction Stop
        "$($t.State)" | Should -Be 'Up'
        $t.Bastion | Should -Be $lab.bastion.host
        $t.BastionPort | Should -Be ([int]$lab.bastion.port)
        $t.User | Should -Be $lab.bastion.user
        @(Get-TestTunnels).Count | Should -Be 1
    }
}

Describe 'Start-SshTunnel -Bastion checks at the door' {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
    }
    AfterEach { Remove-TestState }

    # Each fails before any connection: the bastion is a closed loopback port, so nothing could answer anyway.
    It 'refuses <Case>: <ErrorId>' -TestCases @(
        @{ Case = 'a user in -Bastion and another in -User'; Params = @{ Bastion = 'alice@127.0.0.1'; User = 'bob' }; ErrorId = 'ParameterConflict'; Says = "-Bastion 'alice@127.0.0.1' logs in as 'alice' but -User says 'bob'" }
        @{ Case = 'a port in -Bastion and another in -BastionPort'; Params = @{ Bastion = 'alice@127.0.0.1:2201'; BastionPort = 2202 }; ErrorId = 'ParameterConflict'; Says = 'names port 2201 but -BastionPort says 2202' }
        @{ Case = 'no user at all'; Params = @{ Bastion = '127.0.0.1:2201' }; ErrorId = 'SshUserRequired'; Says = '-Bastion user@127.0.0.1, or -User' }
        @{ Case = 'a bastion that is not a host'; Params = @{ Bastion = 'alice@bad host'; }; ErrorId = 'InvalidHostName'; Says = "-Bastion 'alice@bad host' is not a bastion" }
    ) {
        New-WorkspaceSshKey | Out-Null
        $e = Get-ErrorRecord { Start-SshTunnel @Params -RemoteHost '127.0.0.1' -RemotePort 5432 -HostKeyPolicy AcceptNew -ConnectTimeout 2 -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be "$ErrorId,SecureConnect.Commands.StartSshTunnelCommand"
        "$($e.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $e.Exception.Message.Contains($Says) | Should -BeTrue -Because $e.Exception.Message
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'takes the same user in both places, and a bare IPv6 address as the host (reaching the connection, which fails: BastionUnreachable)' {
        New-WorkspaceSshKey | Out-Null
        $port = Get-FreePort
        $e = Get-ErrorRecord { Start-SshTunnel -Bastion "alice@127.0.0.1:$port" -User 'alice' -RemoteHost '127.0.0.1' -RemotePort 5432 -HostKeyPolicy AcceptNew -ConnectTimeout 2 -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.StartSshTunnelCommand'
        $e.Exception.Message | Should -Match "127\.0\.0\.1:$port"
        $e = Get-ErrorRecord { Start-SshTunnel -Bastion '::1' -BastionPort $port -User 'alice' -RemoteHost '127.0.0.1' -RemotePort 5432 -HostKeyPolicy AcceptNew -ConnectTimeout 2 -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.StartSshTunnelCommand'
    }
}

Describe 'Tunnels shared by the whole process' -Tag Lab {
    BeforeEach { Initialize-TunnelTest }
    AfterEach { Remove-TestState }

    It 'serves 8 ForEach-Object -Parallel runspaces that find it by name and run psql through it' -Skip:(Skip-When $NoPsql) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -Name 'pg-parallel'
        $modulePath = $env:SECURECONNECT_MODULE_PATH
        $psqlPath = (Get-Command psql).Source
        $db = $lab.postgresTls
        $connTail = "dbname=$($db.database) user=$($db.user) password=$($db.password) sslmode=require connect_timeout=10"

        $results = @(1..8 | ForEach-Object -ThrottleLimit 8 -TimeoutSeconds 120 -Parallel {
                Import-Module $using:modulePath
                $tunnel = @(Get-SshTunnel -Name 'pg-parallel')
                $out = & $using:psqlPath "host=127.0.0.1 port=$($tunnel[0].LocalPort) $($using:connTail)" -XAtc 'select count(*) from people' 2>&1
                [pscustomobject]@{ Index = $_; Found = $tunnel.Count; Id = $tunnel[0].Id; ExitCode = $LASTEXITCODE; Output = ($out -join "`n") }
            })

        $results.Count | Should -Be 8
        foreach ($r in $results) {
            $r.Found | Should -Be 1 -Because "runspace $($r.Index) must see the tunnel"
            $r.Id | Should -Be $t.Id
            $r.ExitCode | Should -Be 0 -Because $r.Output
            [int](($r.Output -split "`n")[-1]) | Should -BeGreaterThan 0
        }
        $t.TotalConnections | Should -BeGreaterOrEqual 8
    }

    It 'holds 64 simultaneous connections to Redis, each answering PING' -Skip:(Skip-When $NoRedis) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
        try {
            $connects = foreach ($i in 1..64) {
                $c = [System.Net.Sockets.TcpClient]::new()
                $c.SendTimeout = 15000
                $clients.Add($c)
                $c.ConnectAsync('127.0.0.1', $t.LocalPort)
            }
            [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]@($connects), 20000) | Should -BeTrue

            $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
            foreach ($c in $clients) { $c.GetStream().Write($ping, 0, $ping.Length) }

            # One deadline for all 64 answers (not one timeout per client).
            $pongDeadline = [DateTime]::UtcNow.AddSeconds(20)
            $answers = foreach ($c in $clients) {
                $buffer = [byte[]]::new(64)
                $text = ''
                try {
                    while (-not $text.Contains("`r`n")) {
                        $remaining = [int]($pongDeadline - [DateTime]::UtcNow).TotalMilliseconds
                        if ($remaining -le 0) { $text = 'no answer before the deadline'; break }
                        $c.ReceiveTimeout = $remaining
                        $n = $c.GetStream().Read($buffer, 0, $buffer.Length)
                        if ($n -le 0) { $text = 'closed'; break }
                        $text += [Text.Encoding]::ASCII.GetString($buffer, 0, $n)
                    }
                }
                catch { $text = 'no answer before the deadline' }
                $text.Trim()
            }
            $missing = @(for ($i = 0; $i -lt $answers.Count; $i++) { if ($answers[$i] -ne '+PONG') { "#$($i + 1): $($answers[$i])" } })
            $missing.Count | Should -Be 0 -Because "all 64 must answer +PONG; $($missing.Count) did not, e.g. $(($missing | Select-Object -First 5) -join '; ')"

            # All 64 are open at once, on the tunnel and at Redis itself.
            Wait-Until { $t.ActiveConnections -ge 64 } 10 | Should -BeTrue -Because "ActiveConnections is $($t.ActiveConnections)"
            $info = [Text.Encoding]::ASCII.GetBytes("INFO clients`r`n")
            $clients[0].ReceiveTimeout = 10000
            $stream = $clients[0].GetStream()
            $stream.Write($info, 0, $info.Length)
            $reply = ''
            $buffer = [byte[]]::new(4096)
            $readDeadline = [DateTime]::UtcNow.AddSeconds(10)
            while ($reply -notmatch 'connected_clients:\d+\r\n' -and [DateTime]::UtcNow -lt $readDeadline) {
                $n = $stream.Read($buffer, 0, $buffer.Length)
                if ($n -le 0) { break }
                $reply += [Text.Encoding]::ASCII.GetString($buffer, 0, $n)
            }
            $reply | Should -Match 'connected_clients:(\d+)'
            [int]([regex]::Match($reply, 'connected_clients:(\d+)').Groups[1].Value) | Should -BeGreaterOrEqual 64
        }
        finally {
            foreach ($c in $clients) { $c.Dispose() }
        }
        Wait-Until { $t.ActiveConnections -eq 0 } 10 | Should -BeTrue -Because "ActiveConnections is still $($t.ActiveConnections) after all clients closed"
        $t.TotalConnections | Should -BeGreaterOrEqual 64
    }

    It 'keeps answering other connections while one client does not read (no head-of-line blocking), with bounded memory' -Skip:(Skip-When $NoRedis) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        function Send-Resp($Stream, [string[]] $Parts, [byte[]] $Blob) {
            $head = "*$($Parts.Count + [int]($null -ne $Blob))`r`n" + (($Parts | ForEach-Object { "`$$($_.Length)`r`n$_`r`n" }) -join '')
            $bytes = [Text.Encoding]::ASCII.GetBytes($head)
            $Stream.Write($bytes, 0, $bytes.Length)
            if ($null -ne $Blob) {
                $h = [Text.Encoding]::ASCII.GetBytes("`$$($Blob.Length)`r`n"); $Stream.Write($h, 0, $h.Length)
                $Stream.Write($Blob, 0, $Blob.Length)
                $crlf = [Text.Encoding]::ASCII.GetBytes("`r`n"); $Stream.Write($crlf, 0, 2)
            }
        }
        function Read-Line($Client) {
            $buffer = [byte[]]::new(64); $n = $Client.GetStream().Read($buffer, 0, 64)
            [Text.Encoding]::ASCII.GetString($buffer, 0, [Math]::Max($n, 0)).Trim()
        }
        $slow = [System.Net.Sockets.TcpClient]::new()
        $other = [System.Net.Sockets.TcpClient]::new()
        try {
            $slow.Connect('127.0.0.1', $t.LocalPort)
            $slow.ReceiveTimeout = 15000
            Send-Resp $slow.GetStream() @('SET', 'sc-hol-big') ([byte[]]::new(1MB))
            Read-Line $slow | Should -Be '+OK'
            $before = [Diagnostics.Process]::GetCurrentProcess().Refresh() ; $wsBefore = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
            # 400 MB of answers asked for, none read.
            $get = [Text.Encoding]::ASCII.GetBytes("*2`r`n`$3`r`nGET`r`n`$10`r`nsc-hol-big`r`n" * 400)
            $slow.GetStream().Write($get, 0, $get.Length)
            # Let the answers pile up in every buffer on the way (Redis, sshd, the tunnel).
            Start-Sleep -Seconds 4

            $other.ReceiveTimeout = 10000
            $other.Connect('127.0.0.1', $t.LocalPort)
            $sw = [Diagnostics.Stopwatch]::StartNew()
            Send-Resp $other.GetStream() @('PING') $null
            $answer = try { Read-Line $other } catch { "no answer: $($_.Exception.InnerException.Message)" }
            $sw.Stop()
            Write-Host "    PING through the tunnel while another client does not read: $([Math]::Round($sw.Elapsed.TotalMilliseconds)) ms"
            $answer | Should -Be '+PONG' -Because 'a client that does not read must stall only its own connection'
            $t.State | Should -Be 'Up'
            $p = [Diagnostics.Process]::GetCurrentProcess(); $p.Refresh()
            $grewMb = ($p.WorkingSet64 - $wsBefore) / 1MB
            Write-Host "    working set grew by $([Math]::Round($grewMb)) MB with 400 MB unread"
            $grewMb | Should -BeLessThan 100 -Because 'the tunnel buffers a bounded amount per connection, not the 400 MB the slow client did not read'
        }
        finally { $slow.Dispose(); $other.Dispose() }
    }

    It 'leaves the process''s thread-pool minimum alone (child pwsh)' -Skip:(Skip-When $NoRedis) {
        $script = @'
$ErrorActionPreference = 'Stop'
$w = 0; $c = 0; [System.Threading.ThreadPool]::GetMinThreads([ref]$w, [ref]$c); "BEFORE $w"
Import-Module $env:SECURECONNECT_MODULE_PATH
$t = Start-SshTunnel -Bastion $env:SC_BASTION -BastionPort ([int]$env:SC_BASTION_PORT) -User $env:SC_USER -RemoteHost $env:SC_REMOTE_HOST -RemotePort ([int]$env:SC_REMOTE_PORT) -HostKeyFingerprint $env:SC_FINGERPRINT -ConnectTimeout 10
[System.Threading.ThreadPool]::GetMinThreads([ref]$w, [ref]$c); "AFTER $w"
$t | Stop-SshTunnel
'@
        $result = Invoke-ChildPwsh -Script $script -TimeoutSeconds 90 -Environment @{
            SECURECONNECT_HOME = $ws; SC_BASTION = $lab.bastion.host; SC_BASTION_PORT = $lab.bastion.port; SC_USER = $lab.bastion.user
            SC_REMOTE_HOST = $lab.redis.hostName; SC_REMOTE_PORT = $lab.redis.port; SC_FINGERPRINT = $lab.bastion.hostKeyFingerprint
        }
        $result.ExitCode | Should -Be 0 -Because "$($result.Output)`n$($result.Error)"
        $lines = $result.Output -split "`r?`n"
        $before = ($lines | Where-Object { $_ -like 'BEFORE *' }) -replace '^BEFORE '
        ($lines | Where-Object { $_ -like 'AFTER *' }) -replace '^AFTER ' | Should -Be $before
    }

    It 'moves 1 GiB from PostgreSQL through the tunnel (psql \copy to /dev/null)' -Skip:(Skip-When $NoPsql) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port
        $sql = "\copy (select repeat('x', 1023) from generate_series(1, 1048576)) to '/dev/null'"
        $r = Invoke-Psql -Port $t.LocalPort -Sql $sql -TimeoutSeconds 300
        $r.TimedOut | Should -BeFalse -Because 'the 1 GiB transfer must finish within 300 s'
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Output | Should -Match 'COPY 1048576'
        $mbPerSecond = [Math]::Round(1024 / $r.Seconds, 1)
        Write-Host "    1 GiB through the tunnel in $([Math]::Round($r.Seconds, 1)) s ($mbPerSecond MiB/s)"
        $t.State | Should -Be 'Up'
    }

    It 'is stopped by Remove-Module, which frees the port (child pwsh)' -Skip:(Skip-When $NoRedis) {
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:SECURECONNECT_MODULE_PATH
$t = Start-SshTunnel -Bastion $env:SC_BASTION -BastionPort ([int]$env:SC_BASTION_PORT) -User $env:SC_USER -RemoteHost $env:SC_REMOTE_HOST -RemotePort ([int]$env:SC_REMOTE_PORT) -HostKeyFingerprint $env:SC_FINGERPRINT -Name 'child-tunnel' -ConnectTimeout 10
"PORT $($t.LocalPort)"
"STATE-BEFORE $($t.State)"
"ENV-BEFORE [$env:CHILD_TUNNEL_LOCAL_PORT]"
$c = [System.Net.Sockets.TcpClient]::new(); $c.Connect('127.0.0.1', $t.LocalPort); $c.Dispose()
'CONNECTED'
Remove-Module SecureConnect
"STATE-AFTER $($t.State)"
"ENV-AFTER [$env:CHILD_TUNNEL_LOCAL_PORT]"
$refused = $false
$deadline = [DateTime]::UtcNow.AddSeconds(5)
while (-not $refused -and [DateTime]::UtcNow -lt $deadline) {
    $c = [System.Net.Sockets.TcpClient]::new()
    try { $c.Connect('127.0.0.1', $t.LocalPort); Start-Sleep -Milliseconds 200 } catch { $refused = $true } finally { $c.Dispose() }
}
"REFUSED $refused"
$l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $t.LocalPort)
try { $l.Start(); 'BOUND' } catch { "BIND-FAILED $($_.Exception.Message)" } finally { $l.Stop() }
'@
        $result = Invoke-ChildPwsh -Script $script -TimeoutSeconds 90 -Environment @{
            SECURECONNECT_HOME = $ws
            SC_BASTION         = $lab.bastion.host
            SC_BASTION_PORT    = $lab.bastion.port
            SC_USER            = $lab.bastion.user
            SC_REMOTE_HOST     = $lab.redis.hostName
            SC_REMOTE_PORT     = $lab.redis.port
            SC_FINGERPRINT     = $lab.bastion.hostKeyFingerprint
        }
        $result.ExitCode | Should -Be 0 -Because "$($result.Output)`n$($result.Error)"
        $lines = $result.Output -split "`r?`n"
        $port = [int](($lines | Where-Object { $_ -like 'PORT *' }) -replace '^PORT ')
        $port | Should -BeGreaterThan 0
        $lines | Should -Contain 'STATE-BEFORE Up'
        $lines | Should -Contain "ENV-BEFORE [$port]"
        $lines | Should -Contain 'CONNECTED'
        $lines | Should -Contain 'STATE-AFTER Stopped'
        $lines | Should -Contain 'ENV-AFTER []'
        $lines | Should -Contain 'REFUSED True'
        $lines | Should -Contain 'BOUND'
    }
}

Describe 'Going through the bastion with restrictions and jump hosts' -Tag Lab {
    BeforeEach {
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
    }
    AfterEach { Remove-TestState }

    It 'reports with Test-SshTunnel what permitopen allows and, after the bastion restricted it, what it refuses' -Skip:(Skip-When $NoPgRedis) {
        $pg = $lab.postgresTls
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        $allowed = Start-SshTunnel @BastionArgs -RemoteHost $pg.hostName -RemotePort $pg.port -KeepAliveInterval 2
        $refused = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeepAliveInterval 2

        # The bastion now allows only PostgreSQL for this key; both tunnels log in again with that restriction.
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey -PermitOpen "$($pg.hostName):$($pg.port)")
        Invoke-Lab 'restart-sshd', 'bastion'
        Wait-Until { $allowed.Reconnects -ge 1 -and $refused.Reconnects -ge 1 -and "$($allowed.State)$($refused.State)" -eq 'UpUp' } 60 | Should -BeTrue -Because "States $($allowed.State)/$($refused.State)"

        $ok = $allowed | Test-SshTunnel
        $ok | Should -BeOfType ([SecureConnect.SshTunnelTestResult])
        $ok.TunnelId | Should -Be $allowed.Id
        $ok.Forwarded | Should -BeTrue -Because $ok.Reason
        $ok.RoundTripMs | Should -BeGreaterThan 0
        $ok.State | Should -Be 'Up'

        $before = Get-LogLineCount $lab.bastion.logPath
        $no = $refused | Test-SshTunnel
        $no.TunnelId | Should -Be $refused.Id
        $no.Forwarded | Should -BeFalse
        $no.Reason | Should -Match 'administratively prohibited'
        $no.Reason | Should -Match ([regex]::Escape("permitopen=""$($lab.redis.hostName):$($lab.redis.port)"""))
        # It is sshd that refused it.
        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before -Expect 'request was denied') -join "`n"
        $log | Should -Match "connect to host $([regex]::Escape($lab.redis.hostName)) port $($lab.redis.port), but the request was denied"

        # A real client on the refused tunnel is closed, and the tunnel records why.
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.Connect('127.0.0.1', $refused.LocalPort)
            $client.ReceiveTimeout = 10000
            $buffer = [byte[]]::new(16)
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $read = try { $client.GetStream().Read($buffer, 0, 16) } catch { 0 }   # closed or reset
            $sw.Stop()
            $read | Should -Be 0 -Because 'the forward is refused, so the local connection must be closed'
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 9 -Because 'closed, not left hanging until the read timeout'
        }
        finally { $client.Dispose() }
        Wait-Until { $refused.LastError -match 'administratively prohibited' } 5 | Should -BeTrue -Because "LastError is '$($refused.LastError)'"
        $refused.State | Should -Be 'Up' -Because 'the SSH connection is fine; only this destination is refused'

        # Both through the pipeline at once.
        $both = @(Get-SshTunnel | Test-SshTunnel)
        $both.Count | Should -Be 2
        ($both | Where-Object TunnelId -eq $allowed.Id).Forwarded | Should -BeTrue
        ($both | Where-Object TunnelId -eq $refused.Id).Forwarded | Should -BeFalse
    }

    It 'chains through -JumpHost to the second bastion with AcceptNew, and psql works' -Skip:(Skip-When $NoJump) {
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        $b2 = $lab.bastion2
        Test-TcpConnect $b2.host $b2.port 3000 | Should -BeFalse -Because 'the second bastion is reachable only from the first'
        $jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        $t = Start-SshTunnel -JumpHost $jump -Bastion $b2.hostName -BastionPort $b2.port -User $b2.user -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -HostKeyPolicy AcceptNew -ConnectTimeout 15
        $t.State | Should -Be 'Up'
        $t.Bastion | Should -Be $b2.hostName
        $t.JumpHosts | Should -Contain $jump
        $t.HostKeyFingerprint | Should -BeExactly $b2.hostKeyFingerprint

        # Each hop's key was checked and recorded.
        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Fingerprint | Should -Be @($lab.bastion.hostKeyFingerprint)
        @(Get-SshKnownHost -HostName $b2.hostName -Port $b2.port).Fingerprint | Should -Be @($b2.hostKeyFingerprint)

        $r = Invoke-Psql -Port $t.LocalPort
        $r.ExitCode | Should -Be 0 -Because $r.Error
        [int]$r.Value | Should -BeGreaterThan 0
    }

    It 'checks every hop''s host key: Strict with only the first hop trusted fails with HostKeyUnknown for bastion2' -Skip:(Skip-When $NoJumpKey) {
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
        $b2 = $lab.bastion2
        $before = Get-LogLineCount $b2.logPath
        $jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        $err = Get-ErrorRecord { Start-SshTunnel -JumpHost $jump -Bastion $b2.hostName -BastionPort $b2.port -User $b2.user -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -HostKeyPolicy Strict -ConnectTimeout 15 -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.StartSshTunnelCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($b2.hostName))
        $err.Exception.Message | Should -Match ([regex]::Escape($b2.hostKeyFingerprint))
        @(Get-TestTunnels).Count | Should -Be 0
        @(Get-SshKnownHost -HostName $b2.hostName -Port $b2.port).Count | Should -Be 0
        # The second bastion saw the connection, but no login attempt.
        $log = (Get-NewLogLines -Path $b2.logPath -Skip $before) -join "`n"
        $log | Should -Match 'Connection from '
        $log | Should -Not -Match $AuthAttemptPattern
    }
}

Describe 'Supervision: losing and regaining the bastion' -Tag Lab {
    BeforeEach { Initialize-TunnelTest }
    AfterEach { Remove-TestState }

    It 'reconnects after the bastion sshd restarts: Up again, Reconnects >= 1, same LocalPort, psql works' -Skip:(Skip-When $NoPsql) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -KeepAliveInterval 2
        $port = $t.LocalPort
        (Invoke-Psql -Port $port).ExitCode | Should -Be 0

        Get-SshTunnel 3>&1 | Out-Null   # takes any earlier message
        Invoke-Lab 'restart-sshd', 'bastion'
        Wait-Until { $t.Reconnects -ge 1 -and "$($t.State)" -eq 'Up' } 60 | Should -BeTrue -Because "State $($t.State), Reconnects $($t.Reconnects), LastError '$($t.LastError)'"
        # The warning tells the real cause: the connection was closed, not a keep-alive that went unanswered.
        $warnings = @(Get-SshTunnel 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
        $lost = @($warnings | Where-Object { $_ -match "#$($t.Id)\b.*lost its connection" })
        $lost.Count | Should -BeGreaterOrEqual 1 -Because ($warnings -join ' | ')
        $lost | Should -Not -Match 'keep-alive'
        $lost | Should -Match 'closed|aborted|reset'
        $t.LastError | Should -BeNullOrEmpty -Because 'the tunnel is healthy again'
        $t.LocalPort | Should -Be $port
        (Get-SshTunnel -Id $t.Id).LocalPort | Should -Be $port
        $r = Invoke-Psql -Port $port
        $r.ExitCode | Should -Be 0 -Because $r.Error
        [int]$r.Value | Should -BeGreaterThan 0
    }

    It 'fails with BastionUnreachable within -ConnectTimeout when the link is cut' -Skip:(Skip-When $NoNetnsRedis) {
        Invoke-Lab 'link', 'down'
        try {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -ConnectTimeout 5 -ErrorAction Stop }
            $sw.Stop()
        }
        finally { Invoke-Lab 'link', 'up' }
        Write-Host "    BastionUnreachable after $([Math]::Round($sw.Elapsed.TotalSeconds, 1)) s (ConnectTimeout 5)"
        $err.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.StartSshTunnelCommand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 15
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'notices a cut link by keep-alive: Reconnecting (or Failed with -NoReconnect) with LastError, and recovers once it is back' -Skip:(Skip-When $NoNetnsPgRedis) {
        $again = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeepAliveInterval 2
        $once = Start-SshTunnel @BastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -KeepAliveInterval 2 -NoReconnect
        $again.State | Should -Be 'Up'
        $once.State | Should -Be 'Up'
        $once.Reconnect | Should -BeFalse
        $port = $again.LocalPort

        Invoke-Lab 'link', 'down'
        try {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $left = Wait-Until { "$($again.State)" -ne 'Up' -and "$($once.State)" -ne 'Up' } 15
            $sw.Stop()
            $againState = "$($again.State)"
            $onceState = "$($once.State)"
        }
        finally { Invoke-Lab 'link', 'up' }
        Write-Host "    both tunnels left Up after $([Math]::Round($sw.Elapsed.TotalSeconds, 1)) s (KeepAliveInterval 2)"
        $left | Should -BeTrue -Because "after 15 s: reconnecting tunnel $againState, -NoReconnect tunnel $onceState"
        $againState | Should -Be 'Reconnecting'
        $onceState | Should -Be 'Failed'
        $again.LastError | Should -Not -BeNullOrEmpty
        $once.LastError | Should -Not -BeNullOrEmpty

        # Back on the same port once the network is.
        Wait-Until { "$($again.State)" -eq 'Up' -and $again.Reconnects -ge 1 } 60 | Should -BeTrue -Because "State $($again.State), LastError '$($again.LastError)'"
        $again.LocalPort | Should -Be $port
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.ReceiveTimeout = 10000
            $client.Connect('127.0.0.1', $port)
            $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
            $client.GetStream().Write($ping, 0, $ping.Length)
            $buffer = [byte[]]::new(16)
            $n = $client.GetStream().Read($buffer, 0, 16)
            [Text.Encoding]::ASCII.GetString($buffer, 0, $n).Trim() | Should -Be '+PONG'
        }
        finally { $client.Dispose() }
        "$($once.State)" | Should -Be 'Failed'

        # Stop-SshTunnel also ends a Failed tunnel: Stopped, and no longer listed as anything else.
        Get-SshTunnel | Stop-SshTunnel
        "$($once.State)" | Should -Be 'Stopped'
        "$($again.State)" | Should -Be 'Stopped'
        @(Get-TestTunnels).Count | Should -Be 0
    }
}

Describe 'Stopping, reconnecting and tearing down under load' -Tag Lab {
    BeforeAll {
        function Get-BastionSockets {
            # This process's TCP connections to the bastion's sshd, as the kernel lists them (ss -tnp).
            $r = Invoke-Native -FilePath (Get-Command ss).Source -Arguments @('-Htnp', 'dst', "$($lab.bastion.host):$($lab.bastion.port)") -TimeoutSeconds 10
            @($r.Output -split "`n" | Where-Object { $_ -match "pid=$PID," })
        }
    }
    BeforeEach { Initialize-TunnelTest }
    AfterEach {
        Invoke-LabScript 'auth-delay', '0' | Out-Null
        Remove-TestState
    }

    It 'stays Stopped, with no SSH connection left, when stopped while a reconnect is logging in' -Skip:(Skip-When $NoAuthDelay) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeepAliveInterval 2
        $delay = 4
        Invoke-Lab 'auth-delay', "$delay"
        $before = Get-LogLineCount $lab.bastion.logPath
        Invoke-Lab 'restart-sshd', 'bastion'
        # The tunnel notices and reconnects; its new connection is now waiting in the delayed authentication.
        Wait-Until { "$($t.State)" -eq 'Reconnecting' } 15 | Should -BeTrue -Because "State $($t.State)"
        Wait-Until { @(Get-Content $lab.bastion.logPath | Select-Object -Skip $before | Where-Object { $_ -match 'Connection from ' }).Count -ge 1 } 15 | Should -BeTrue
        Stop-SshTunnel -Id $t.Id
        "$($t.State)" | Should -Be 'Stopped'

        # Past the delay sshd finishes that login; the tunnel must not come back, and must hold no connection.
        $deadline = [DateTime]::UtcNow.AddSeconds(2 * $delay + 4)
        while ([DateTime]::UtcNow -lt $deadline) {
            "$($t.State)" | Should -Be 'Stopped'
            Start-Sleep -Milliseconds 250
        }
        $left = Get-BastionSockets
        $left.Count | Should -Be 0 -Because "no connection to the bastion may be left: $($left -join ' | ')"
        $t.Reconnects | Should -Be 0
        @(Get-TestTunnels).Count | Should -Be 0
    }

    It 'stays Stopped, with no false warning, when stopped while a keep-alive probe waits for a dead link' -Skip:(Skip-When $NoNetnsRedis) {
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeepAliveInterval 2
        Get-SshTunnel 3>&1 | Out-Null   # takes any earlier message
        Invoke-Lab 'link', 'down'
        try {
            Start-Sleep -Seconds 1.5    # a probe is now waiting for a reply that cannot come
            Stop-SshTunnel -Id $t.Id
            Start-Sleep -Seconds 5      # longer than the probe's reply deadline (2 intervals)
            "$($t.State)" | Should -Be 'Stopped'
        }
        finally { Invoke-Lab 'link', 'up' }
        $warnings = @(Get-SshTunnel 3>&1 | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
        @($warnings | Where-Object { $_ -match "#$($t.Id)\b" }).Count | Should -Be 0 -Because "a stopped tunnel reports nothing: $($warnings -join ' | ')"
        "$($t.State)" | Should -Be 'Stopped'
    }

    It 'comes back through a jump host after the jump host and the second bastion both restart' -Skip:(Skip-When $NoJump) {
        $b2 = $lab.bastion2
        $jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        $t = Start-SshTunnel -JumpHost $jump -Bastion $b2.hostName -BastionPort $b2.port -User $b2.user -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -HostKeyPolicy AcceptNew -ConnectTimeout 15 -KeepAliveInterval 2
        (Invoke-Psql -Port $t.LocalPort).ExitCode | Should -Be 0
        Invoke-Lab 'restart-sshd', 'bastion2'
        Wait-Until { $t.Reconnects -ge 1 -and "$($t.State)" -eq 'Up' } 60 | Should -BeTrue -Because "State $($t.State), LastError '$($t.LastError)'"
        Invoke-Lab 'restart-sshd', 'bastion'
        Wait-Until { $t.Reconnects -ge 2 -and "$($t.State)" -eq 'Up' } 60 | Should -BeTrue -Because "State $($t.State), LastError '$($t.LastError)'"
        $r = Invoke-Psql -Port $t.LocalPort
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $t.LastError | Should -BeNullOrEmpty
    }

    It 'tears down 200 open connections 20 times over with no socket to the bastion left and no growing thread count' -Skip:(Skip-When $NoRedis) {
        $threads = foreach ($round in 1..20) {
            $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
            $clients = foreach ($i in 1..200) { $c = [System.Net.Sockets.TcpClient]::new(); $c.Connect('127.0.0.1', $t.LocalPort); $c }
            try {
                Wait-Until { $t.ActiveConnections -ge 200 } 20 | Should -BeTrue -Because "round $($round): $($t.ActiveConnections) connections open"
                Stop-SshTunnel -Id $t.Id
                "$($t.State)" | Should -Be 'Stopped'
            }
            finally { foreach ($c in $clients) { $c.Dispose() } }
            Wait-Until { @(Get-BastionSockets).Count -eq 0 } 10 | Should -BeTrue -Because "round $($round): $((Get-BastionSockets) -join ' | ')"
            [GC]::Collect(); [GC]::WaitForPendingFinalizers()
            [Diagnostics.Process]::GetCurrentProcess().Threads.Count
        }
        Write-Host "    threads after rounds 1, 5, 10, 20: $($threads[0]), $($threads[4]), $($threads[9]), $($threads[19])"
        $threads[19] | Should -BeLessOrEqual ($threads[4] + 10) -Because "threads per round: $($threads -join ', ')"
    }
}

# These rotate the bastion's host key; each test puts the lab's original key back (and waits for sshd) in its cleanup,
# so no other test, in this file or another, ever sees a rotated key.
Describe 'A rotated bastion host key' -Tag Lab {
    BeforeEach {
        $script:lab = Get-LabEndpoints
        $script:preexistingIds = Get-TunnelIds
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)
        Add-BastionTrust
    }
    AfterEach {
        try { Remove-TestState }
        finally {
            Invoke-Lab 'restore-bastion-hostkey'
            $script:lab = Get-LabEndpoints
        }
    }

    It 'stops a new tunnel with HostKeyMismatch naming both fingerprints, before any authentication' -Skip:(Skip-When $NoLab) {
        $oldFingerprint = $lab.bastion.hostKeyFingerprint
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $t.State | Should -Be 'Up'
        Stop-SshTunnel -Id $t.Id

        Invoke-Lab 'rotate-bastion-hostkey'
        $script:lab = Get-LabEndpoints
        $newFingerprint = $lab.bastion.hostKeyFingerprint
        $newFingerprint | Should -Not -Be $oldFingerprint
        $newFingerprint | Should -BeExactly (((& ssh-keygen -l -E sha256 -f $lab.bastion.hostKeyPath) -split ' ')[1])

        $before = Get-LogLineCount $lab.bastion.logPath
        foreach ($policy in 'Strict', 'AcceptNew') {
            $err = Get-ErrorRecord { Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -HostKeyPolicy $policy -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,SecureConnect.Commands.StartSshTunnelCommand' -Because "policy $policy"
            $err.Exception.Message | Should -Match ([regex]::Escape($oldFingerprint))
            $err.Exception.Message | Should -Match ([regex]::Escape($newFingerprint))
        }
        @(Get-TestTunnels).Count | Should -Be 0
        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Fingerprint | Should -Be @($oldFingerprint)

        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before) -join "`n"
        $log | Should -Match 'Connection from '
        $log | Should -Not -Match $AuthAttemptPattern

        # Trusting the new key (deliberately, with -Force) makes it work again.
        Add-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -PublicKey (Read-PublicKey $lab.bastion.hostKeyPath) -Force | Out-Null
        (Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port).State | Should -Be 'Up'
    }

    It 'does not let an Up tunnel reconnect to the bastion once its key changed' -Skip:(Skip-When $NoLab) {
        $oldFingerprint = $lab.bastion.hostKeyFingerprint
        $t = Start-SshTunnel @BastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -KeepAliveInterval 2
        $t.State | Should -Be 'Up'

        # Counted before the rotation: the first reconnect attempt may come as soon as the new sshd listens.
        $before = Get-LogLineCount $lab.bastion.logPath
        Invoke-Lab 'rotate-bastion-hostkey'
        $script:lab = Get-LabEndpoints
        $newFingerprint = $lab.bastion.hostKeyFingerprint
        $newFingerprint | Should -Not -Be $oldFingerprint

        # The reconnect attempts see the new key and give up or keep trying, but never log in or come back Up.
        Wait-Until { $t.LastError -match [regex]::Escape($newFingerprint) } 30 | Should -BeTrue -Because "State $($t.State), LastError '$($t.LastError)'"
        "$($t.State)" | Should -BeIn @('Reconnecting', 'Failed')
        $t.Reconnects | Should -Be 0
        $log = (Get-NewLogLines -Path $lab.bastion.logPath -Skip $before) -join "`n"
        $log | Should -Match 'Connection from '
        $log | Should -Not -Match $AuthAttemptPattern
    }
}
