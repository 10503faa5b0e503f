# Write-Progress on the waits that last: connecting to an SSH hop (named: bastion or jump host, which hop of how
# many), fetching a host key, a query before its first row. Each wait here is long by construction (a bastion that
# delays its logins, a port that never answers, pg_sleep), so the assertions never depend on timing. The command runs
# in a runspace of its own, whose Streams.Progress holds what it wrote; none at all under
# $ProgressPreference = 'SilentlyContinue'.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    else { $null }
    $NoAuthDelay = if ($NoLab) { $NoLab }
    elseif (-not $lab.bastion.authDelayAvailable) { 'the lab cannot delay the bastion''s authentication (it runs without root)' }
    elseif (-not $lab.redis.available) { "the lab has no Redis: $($lab.redis.reason)" }
    else { $null }
    $NoJumpDelay = if ($NoAuthDelay) { $NoAuthDelay } elseif (-not $lab.bastion2.available) { "the lab has no second bastion: $($lab.bastion2.reason)" } else { $null }
    $NoPostgres = if ($NoLab) { $NoLab } elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    function Invoke-InRunspace([scriptblock] $Script, [string] $Progress = 'Continue', [object[]] $Arguments = @()) {
        # Runs $Script in a fresh runspace of this process (the same workspace, the same tunnels) to its end, with
        # $ProgressPreference set; returns what it output, its errors and every progress record it wrote.
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript({
                    param($Module, $Progress, $Script, $Arguments)
                    $ProgressPreference = $Progress
                    Import-Module $Module
                    & ([scriptblock]::Create($Script)) @Arguments
                }).AddArgument($env:SECURECONNECT_MODULE_PATH).AddArgument($Progress).AddArgument($Script.ToString()).AddArgument($Arguments)
            $output = $shell.Invoke()
            [pscustomobject]@{
                Output   = @($output)
                Errors   = @($shell.Streams.Error)
                Progress = @($shell.Streams.Progress)
            }
        }
        finally { $shell.Dispose() }
    }

    function Stop-TestTunnels { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
}

AfterAll {
    Stop-TestTunnels
    if ($lab) {
        Set-Content -Path $lab.bastion.authorizedKeysPath -Value @()
        if ($lab.bastion.authDelayAvailable) { Invoke-LabScript 'auth-delay', '0' | Out-Null }
    }
}

Describe 'Progress while connecting to an SSH hop' -Tag Lab {
    BeforeEach { Initialize-LabWorkspace }
    AfterEach {
        Invoke-LabScript 'auth-delay', '0' | Out-Null
        Stop-TestTunnels
        Remove-LabWorkspace
    }

    It 'Start-SshTunnel shows "Connecting to the bastion user@host:port (SSH hop 1 of 1)" while the bastion delays the login, and completes the activity' -Skip:(Skip-When $NoAuthDelay) {
        Invoke-Lab 'auth-delay', '3'
        $bastion = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        $r = Invoke-InRunspace -Arguments @($bastion, $lab.redis.hostName, [int]$lab.redis.port) -Script {
            param($Bastion, $RemoteHost, $RemotePort)
            Start-SshTunnel -Bastion $Bastion -RemoteHost $RemoteHost -RemotePort $RemotePort -ConnectTimeout 30 -ErrorAction Stop
        }
        $r.Errors | Should -BeNullOrEmpty
        "$($r.Output[0].State)" | Should -Be 'Up'
        $connecting = @($r.Progress | Where-Object { $_.StatusDescription -like "Connecting to the bastion $bastion (SSH hop 1 of 1)*" })
        $connecting.Count | Should -BeGreaterThan 0 -Because "progress seen: $(($r.Progress | ForEach-Object StatusDescription) -join ' | ')"
        $connecting[0].Activity | Should -BeLike "Start-SshTunnel *$($lab.bastion.host)*"
        "$($connecting[0].RecordType)" | Should -Be 'Processing'
        "$($r.Progress[-1].RecordType)" | Should -Be 'Completed'
    }

    It 'names the jump host and its place, "Connecting to the jump host user@host:port (SSH hop 1 of 2)", when the jump host delays the login' -Skip:(Skip-When $NoJumpDelay) {
        Invoke-Lab 'auth-delay', '3'
        $jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        $b2 = $lab.bastion2
        $r = Invoke-InRunspace -Arguments @($jump, $b2.hostName, [int]$b2.port, $b2.user, $lab.redis.hostName, [int]$lab.redis.port) -Script {
            param($Jump, $Bastion, $BastionPort, $User, $RemoteHost, $RemotePort)
            Start-SshTunnel -JumpHost $Jump -Bastion $Bastion -BastionPort $BastionPort -User $User -RemoteHost $RemoteHost -RemotePort $RemotePort -HostKeyPolicy AcceptNew -ConnectTimeout 30 -ErrorAction Stop
        }
        $r.Errors | Should -BeNullOrEmpty
        "$($r.Output[0].State)" | Should -Be 'Up'
        $statuses = @($r.Progress | ForEach-Object StatusDescription)
        @($statuses | Where-Object { $_ -like "Connecting to the jump host $jump (SSH hop 1 of 2)*" }).Count | Should -BeGreaterThan 0 -Because "progress seen: $($statuses -join ' | ')"
    }

    It 'writes no progress at all under $ProgressPreference = SilentlyContinue, through the same delayed login' -Skip:(Skip-When $NoAuthDelay) {
        Invoke-Lab 'auth-delay', '3'
        $before = @(Get-Content $lab.bastion.logPath).Count
        $r = Invoke-InRunspace -Progress 'SilentlyContinue' -Arguments @("$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)", $lab.redis.hostName, [int]$lab.redis.port) -Script {
            param($Bastion, $RemoteHost, $RemotePort)
            Start-SshTunnel -Bastion $Bastion -RemoteHost $RemoteHost -RemotePort $RemotePort -ConnectTimeout 30 -ErrorAction Stop
        }
        $r.Errors | Should -BeNullOrEmpty
        "$($r.Output[0].State)" | Should -Be 'Up'
        # The login went through the delay (sshd ran the hook), so a wait long enough to show progress did happen.
        @(Get-Content $lab.bastion.logPath | Select-Object -Skip $before | Where-Object { $_ -match 'Accepted publickey' }).Count | Should -BeGreaterThan 0
        $r.Progress.Count | Should -Be 0
    }
}

Describe 'Progress while fetching a host key' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        # A port that accepts TCP connections and never says a word: the SSH banner never comes.
        $script:silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
    }
    AfterEach {
        $silent.Stop()
        Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue
    }

    It 'Get-SshServerKey shows "Fetching the (key type) host key of host:port" while the server does not answer, until the timeout' {
        $port = $silent.LocalEndpoint.Port
        $r = Invoke-InRunspace -Arguments @($port) -Script { param($Port) Get-SshServerKey -HostName 127.0.0.1 -Port $Port -ConnectTimeout 3 }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors.Count | Should -Be 1
        $fetching = @($r.Progress | Where-Object { $_.StatusDescription -like "Fetching the * host key of 127.0.0.1:$port*" })
        $fetching.Count | Should -BeGreaterThan 0 -Because "progress seen: $(($r.Progress | ForEach-Object StatusDescription) -join ' | ')"
        $fetching[0].Activity | Should -Be "Get-SshServerKey 127.0.0.1:$port"
        "$($r.Progress[-1].RecordType)" | Should -Be 'Completed'
    }

    It 'writes no progress under $ProgressPreference = SilentlyContinue, through the same wait' {
        $port = $silent.LocalEndpoint.Port
        $r = Invoke-InRunspace -Progress 'SilentlyContinue' -Arguments @($port) -Script { param($Port) Get-SshServerKey -HostName 127.0.0.1 -Port $Port -ConnectTimeout 3 }
        $r.Errors.Count | Should -Be 1
        "$($r.Errors[0].CategoryInfo.Category)" | Should -Be 'OperationTimeout' -Because 'the whole timeout was waited'
        $r.Progress.Count | Should -Be 0
    }
}

Describe 'Progress while a query runs before its first row' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $db = $lab.postgresTls
            New-SecureIntegration -Name 'pg' -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode Required @ssh | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'Invoke-SecureQuery shows "Running the query on ''pg'', waiting for its first row" during select pg_sleep(3)' -Skip:(Skip-When $NoPostgres) {
        $r = Invoke-InRunspace -Script { Invoke-SecureQuery pg 'select pg_sleep(3) as slept, 42 as answer' -ErrorAction Stop }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].answer | Should -Be 42
        $running = @($r.Progress | Where-Object { $_.StatusDescription -like "Running the query on 'pg', waiting for its first row*" })
        $running.Count | Should -BeGreaterThan 0 -Because "progress seen: $(($r.Progress | ForEach-Object StatusDescription) -join ' | ')"
        $running[0].Activity | Should -Be 'Invoke-SecureQuery pg'
        "$($r.Progress[-1].RecordType)" | Should -Be 'Completed'
    }

    It 'shows it for Export-SecureQuery too (before its first row there are no rows to count)' -Skip:(Skip-When $NoPostgres) {
        $path = Join-Path $TestDrive "slept-$([guid]::NewGuid().ToString('N')).csv"
        $r = Invoke-InRunspace -Arguments @($path) -Script { param($Path) Export-SecureQuery pg 'select pg_sleep(3) as slept, 42 as answer' -Path $Path -ErrorAction Stop }
        $r.Errors | Should -BeNullOrEmpty
        (Import-Csv $path).answer | Should -Be '42'
        @($r.Progress | Where-Object { $_.StatusDescription -like "Running the query on 'pg', waiting for its first row*" -and $_.Activity -like 'Export-SecureQuery to *' }).Count | Should -BeGreaterThan 0
    }

    It 'writes no progress under $ProgressPreference = SilentlyContinue, through the same wait' -Skip:(Skip-When $NoPostgres) {
        $r = Invoke-InRunspace -Progress 'SilentlyContinue' -Script { Invoke-SecureQuery pg 'select pg_sleep(3) as slept, 42 as answer' -ErrorAction Stop }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].answer | Should -Be 42
        $r.Progress.Count | Should -Be 0
    }
}

Describe 'Progress while a query waits for its tunnel to reconnect' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $db = $lab.postgresTls
            New-SecureIntegration -Name 'pg' -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database -Credential (New-LabCredential $db) -SslMode Required @ssh | Out-Null
        }
    }
    AfterEach { Invoke-LabScript 'auth-delay', '0' | Out-Null }
    AfterAll { Remove-LabWorkspace }

    It 'Invoke-SecureQuery shows "Waiting for SSH tunnel #n to reconnect to the bastion" while the tunnel logs in again, then returns the rows' -Skip:(Skip-When $NoAuthDelay) {
        (Invoke-SecureQuery pg 'select 1 as one' -ErrorAction Stop).one | Should -Be 1
        $t = @(Get-SshTunnel | Where-Object { "$($_.State)" -eq 'Up' -and $_.RemotePort -eq [int]$lab.postgresTls.port })[0]
        $t | Should -Not -BeNullOrEmpty
        # The bastion restarts and then delays each login (sshd runs the delaying key hook for the key query and again
        # for the signed request: 8 s, below the 15 s connect timeout): the tunnel is Reconnecting that long, by construction.
        Invoke-Lab 'auth-delay', '4'
        Invoke-Lab 'restart-sshd', 'bastion'
        Wait-Until { "$($t.State)" -eq 'Reconnecting' } 30 | Should -BeTrue -Because "State $($t.State)"

        $r = Invoke-InRunspace -Script { Invoke-SecureQuery pg 'select 1 as one' -ErrorAction Stop }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].one | Should -Be 1
        $statuses = @($r.Progress | ForEach-Object StatusDescription)
        @($statuses | Where-Object { $_ -like "Waiting for SSH tunnel #$($t.Id) to reconnect to the bastion $($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)*" }).Count |
            Should -BeGreaterThan 0 -Because "progress seen: $($statuses -join ' | ')"
        $t.Reconnects | Should -BeGreaterThan 0
    }
}

Describe 'Progress while connecting to a database' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        # A port that accepts TCP connections and never answers PostgreSQL's first message: connecting waits until the timeout.
        $script:silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
    }
    AfterEach {
        $silent.Stop()
        Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue
    }

    It 'Test-SecureConnection shows "Connecting to the PostgreSQL database host:port (Direct)" while the server does not answer' {
        $port = $silent.LocalEndpoint.Port
        $r = Invoke-InRunspace -Arguments @($port) -Script {
            param($Port)
            Test-SecureConnection -Type PostgreSQL -HostName 127.0.0.1 -Port $Port -Credential ([pscredential]::new('nobody', (ConvertTo-SecureString 'x' -AsPlainText -Force)))
        }
        $statuses = @($r.Progress | ForEach-Object StatusDescription)
        @($statuses | Where-Object { $_ -like "Connecting to the PostgreSQL database 127.0.0.1:$port (Direct)*" }).Count | Should -BeGreaterThan 0 -Because "progress seen: $($statuses -join ' | ')"
        @($r.Progress | Where-Object { $_.Activity -eq "Test-SecureConnection 127.0.0.1:$port" }).Count | Should -BeGreaterThan 0
        "$($r.Progress[-1].RecordType)" | Should -Be 'Completed'
    }
}
