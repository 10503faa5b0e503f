# The soak: for a bounded time (SECURECONNECT_SOAK_SECONDS, 100 s by default; build.ps1 -Task Test -SoakSeconds N),
# queries through one integration on every engine of the lab (PostgreSQL TLS VerifyFull, PostgreSQL plain, MariaDB,
# ClickHouse) and Redis PINGs through a saved SSH Tunnel integration run without a pause, each in a runspace of its own,
# while a fault driver (seeded, the seed printed; SECURECONNECT_SOAK_SEED repeats a run) kills the bastion's sshd and
# restarts it, keeps it down for a while, cuts the host<->bastion link, and crashes a database. Then it asserts that
# every query returned its whole result or failed with one of the module's ids, that none hung, that the tunnels came
# back after every fault, and that threads, sockets and managed memory did not grow with the faults.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab can cut the link" }
    else {
        $missing = @('bastion', 'postgresTls', 'postgresPlain', 'mariadb', 'clickhouse', 'redis' | Where-Object { -not $lab.$_.available })
        if ($missing) { "the lab lacks $($missing -join ', ')" } else { $null }
    }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:CanSoak = $lab -and $lab.mode -eq 'netns' -and
        -not @('bastion', 'postgresTls', 'postgresPlain', 'mariadb', 'clickhouse', 'redis' | Where-Object { -not $lab.$_.available })
    $script:SoakSeconds = if ($env:SECURECONNECT_SOAK_SECONDS) { [int]$env:SECURECONNECT_SOAK_SECONDS } else { 100 }
    $script:SoakSeed = if ($env:SECURECONNECT_SOAK_SEED) { [int]$env:SECURECONNECT_SOAK_SEED } else { Get-Random -Minimum 0 -Maximum 1000000 }

    # Every query has a command timeout. Its hang limit adds the two waits a query may make before its command runs
    # (for its tunnel to reconnect, then for the driver's connect: 15 s each) and a margin: a query still running past
    # it hangs. That is a hang detector, not a speed assertion.
    $script:CommandTimeout = 20
    $script:HangLimit = $CommandTimeout + 2 * 15 + 30
    # What a query may fail with while the network or a server is down: the module's ids for a fault, never another
    # id, a raw exception, or a result cut short.
    $script:FaultIds = @('ConnectionFailed', 'QueryInterrupted', 'QueryTimeout', 'BastionUnreachable', 'RemoteUnreachable', 'ForwardRefused')

    # A known result per engine: 5,000 rows numbered 1..5,000 and their MD5; whole only with count 5,000 and sum 12,502,500.
    $script:Rows = 5000
    $script:Workloads = @(
        @{ Integration = 'soak-pg-tls'; Query = "select g, md5(g::text) as h from generate_series(1, $Rows) g" }
        @{ Integration = 'soak-pg-plain'; Query = "select g, md5(g::text) as h from generate_series(1, $Rows) g" }
        # (Not a recursive CTE: MariaDB ends one silently at max_recursive_iterations, 1,000 here, and calls that whole.)
        @{ Integration = 'soak-mariadb'; Query = "select seq as g, md5(seq) as h from seq_1_to_$Rows" }
        @{ Integration = 'soak-clickhouse'; Query = "SELECT number + 1 AS g, lower(hex(MD5(toString(number + 1)))) AS h FROM system.numbers LIMIT $Rows" }
    )

    function New-SoakIntegrations {
        $tls = $lab.postgresTls; $plain = $lab.postgresPlain; $maria = $lab.mariadb; $ch = $lab.clickhouse
        New-SecureIntegration -Name soak-pg-tls -Type PostgreSQL -HostName $tls.hostName -Port ([int]$tls.port) -Database $tls.database `
            -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $tls) @ssh -ErrorAction Stop | Out-Null
        New-SecureIntegration -Name soak-pg-plain -Type PostgreSQL -HostName $plain.hostName -Port ([int]$plain.port) -Database $plain.database `
            -SslMode Preferred -Credential (New-LabCredential $plain) @ssh -ErrorAction Stop | Out-Null
        New-SecureIntegration -Name soak-mariadb -Type MariaDB -HostName $maria.hostName -Port ([int]$maria.port) -Database $maria.database `
            -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $maria) @ssh -ErrorAction Stop | Out-Null
        New-SecureIntegration -Name soak-clickhouse -Type ClickHouse -HostName $ch.hostName -Database $ch.database `
            -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $ch) @ssh -ErrorAction Stop | Out-Null
        New-SecureIntegration -Type SshTunnel -Name soak-redis -HostName $lab.redis.hostName -Port ([int]$lab.redis.port) @ssh -ErrorAction Stop | Out-Null
    }

    # The worker of one integration: runs its query until told to stop, checks every result, counts every outcome.
    $script:QueryWorker = {
        param($Module, $Integration, $Query, $Rows, $CommandTimeout, $Stop, $Running, $Counts, $Log)
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        Import-Module $Module
        $expectedSum = [long]$Rows * ($Rows + 1) / 2
        $mine = @{}
        $Counts[$Integration] = $mine
        while (-not $Stop.IsCancellationRequested) {
            $started = [DateTime]::UtcNow
            $Running[$Integration] = $started
            $outcome = $null; $message = $null
            try {
                $result = @(Invoke-SecureQuery $Integration $Query -CommandTimeout $CommandTimeout -ErrorAction Stop)
                $sum = [long]0
                foreach ($row in $result) { $sum += [long]$row.g }
                $first = $result | Select-Object -First 1
                # Only a whole result: every row, the right numbers, and a row whose hash is right.
                $firstHash = [Convert]::ToHexString([Security.Cryptography.MD5]::HashData([Text.Encoding]::ASCII.GetBytes("$($first.g)"))).ToLowerInvariant()
                if ($result.Count -eq $Rows -and $sum -eq $expectedSum -and $first.h -eq $firstHash) {
                    $outcome = 'Ok'
                }
                else {
                    $outcome = 'Partial'
                    $message = "$($result.Count) rows, sum $sum, first row $($first.g)/$($first.h): a result that is not whole came without an error"
                }
            }
            catch {
                $id = "$($_.FullyQualifiedErrorId)"
                if ($id -match '^(\w+),SecureConnect\.Commands\.\w+$') { $outcome = $Matches[1] } else { $outcome = "Raw:$id" }
                $message = $_.Exception.Message
            }
            finally {
                $null = $Running.TryRemove($Integration, [ref]$started)
            }
            # Counts only (memory must not grow with the run); the first failures of each worker in detail.
            $mine[$outcome] = 1 + [int]$mine[$outcome]
            if ($outcome -ne 'Ok' -and $Log.Count -lt 1000) {
                $Log.Enqueue([pscustomobject]@{ Integration = $Integration; Started = $started; Seconds = ([DateTime]::UtcNow - $started).TotalSeconds; Outcome = $outcome; Message = $message })
            }
            # A failed query is followed by another at once in a runbook's retry loop; a short pause keeps this one
            # from spinning while a server is down.
            if ($outcome -ne 'Ok') { Start-Sleep -Milliseconds 500 }
        }
    }

    # The worker of the generic tunnel: Redis PING through its local end, as any TCP client would.
    $script:TunnelWorker = {
        param($Port, $Stop, $Running, $Counts, $Log)
        $mine = @{}
        $Counts['soak-redis'] = $mine
        while (-not $Stop.IsCancellationRequested) {
            $started = [DateTime]::UtcNow
            $Running['soak-redis'] = $started
            $outcome = $null; $message = $null
            $client = [System.Net.Sockets.TcpClient]::new()
            try {
                if (-not $client.ConnectAsync('127.0.0.1', $Port).Wait(10000)) { throw 'no TCP connection within 10 s' }
                $stream = $client.GetStream()
                $stream.ReadTimeout = 10000; $stream.WriteTimeout = 10000
                $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
                $stream.Write($ping, 0, $ping.Length)
                $buffer = [byte[]]::new(64)
                $n = $stream.Read($buffer, 0, $buffer.Length)
                $reply = [Text.Encoding]::ASCII.GetString($buffer, 0, $n).Trim()
                if ($reply -eq '+PONG') { $outcome = 'Ok' } else { $outcome = 'TunnelTrafficFailed'; $message = "reply '$reply'" }
            }
            catch { $outcome = 'TunnelTrafficFailed'; $message = $_.Exception.GetBaseException().Message }
            finally {
                $client.Dispose()
                $null = $Running.TryRemove('soak-redis', [ref]$started)
            }
            $mine[$outcome] = 1 + [int]$mine[$outcome]
            if ($outcome -ne 'Ok' -and $Log.Count -lt 1000) {
                $Log.Enqueue([pscustomobject]@{ Integration = 'soak-redis'; Started = $started; Seconds = ([DateTime]::UtcNow - $started).TotalSeconds; Outcome = $outcome; Message = $message })
            }
            if ($outcome -ne 'Ok') { Start-Sleep -Milliseconds 500 }
        }
    }

    function Start-Worker([scriptblock] $Script, [object[]] $Arguments) {
        $shell = [powershell]::Create()
        $null = $shell.AddScript($Script)
        foreach ($a in $Arguments) { $null = $shell.AddArgument($a) }
        [pscustomobject]@{ Shell = $shell; Async = $shell.BeginInvoke() }
    }

    function Test-RedisPing([int] $Port) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            if (-not $client.ConnectAsync('127.0.0.1', $Port).Wait(5000)) { return $false }
            $stream = $client.GetStream()
            $stream.ReadTimeout = 5000
            $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
            $stream.Write($ping, 0, $ping.Length)
            $buffer = [byte[]]::new(64)
            $n = $stream.Read($buffer, 0, $buffer.Length)
            [Text.Encoding]::ASCII.GetString($buffer, 0, $n).Trim() -eq '+PONG'
        }
        catch { $false }
        finally { $client.Dispose() }
    }

    function Test-AllReachable([switch] $NoTunnel) {
        # One short query through every integration and a PING through the tunnel: all must succeed.
        foreach ($w in $Workloads) {
            $one = try { Invoke-SecureQuery $w.Integration 'select 1' -As Scalar -CommandTimeout 10 -ErrorAction Stop } catch { $null }
            if ("$one" -ne '1') { return $false }
        }
        $NoTunnel -or (Test-RedisPing $RedisPort)
    }

    function Get-Resources {
        # The process's threads, open file descriptors (sockets among them) and managed memory after a full GC.
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $self = [Diagnostics.Process]::GetCurrentProcess()
        [pscustomobject]@{
            Threads = $self.Threads.Count
            Fds     = @(Get-ChildItem -LiteralPath /proc/self/fd -Force -ErrorAction SilentlyContinue).Count
            ManagedMB = [math]::Round([GC]::GetTotalMemory($true) / 1MB, 1)
        }
    }

    function Watch-Queries {
        # The watchdog: a query running past its hang limit is recorded, once, by name.
        foreach ($entry in @($Running.GetEnumerator())) {
            $age = ([DateTime]::UtcNow - $entry.Value).TotalSeconds
            $key = "$($entry.Key)@$($entry.Value.ToString('o'))"
            if ($age -gt $HangLimit -and -not $Hangs.ContainsKey($key)) {
                $query = ($Workloads | Where-Object Integration -eq $entry.Key).Query
                $Hangs[$key] = "'$($entry.Key)' ($(if ($query) { $query } else { 'Redis PING through the tunnel' })) still running after $([int]$age) s (limit $HangLimit s)"
            }
        }
    }

    function Wait-Watching([double] $Seconds) {
        # A fault's duration (the fault itself, not an assertion), during which the watchdog keeps looking.
        $end = [DateTime]::UtcNow.AddSeconds($Seconds)
        while ([DateTime]::UtcNow -lt $end) { Watch-Queries; Start-Sleep -Milliseconds 200 }
    }

    function Test-BastionRefuses {
        # Whether the bastion's port refuses a TCP connection (sshd down) rather than accepting it.
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.ConnectAsync($lab.bastion.host, [int]$lab.bastion.port).Wait(5000) | Out-Null; $false }
        catch { $_.Exception.GetBaseException() -is [System.Net.Sockets.SocketException] }
        finally { $client.Dispose() }
    }

    function Invoke-Fault([string] $Kind, [Random] $Random) {
        # Injects one fault and ends it; returns what was done, for the log. What the lab did not do as it says is
        # recorded in $LabProblems.
        switch ($Kind) {
            'restart-sshd' {
                $before = (Get-LabEndpoints).bastion.pid
                Invoke-Lab 'restart-sshd', 'bastion'
                $after = (Get-LabEndpoints).bastion.pid
                if (-not $after -or $after -eq $before) { $LabProblems.Add("restart-sshd: bastion pid $before, then $after") }
                'bastion sshd killed with its sessions and restarted'
            }
            'kill-sshd' {
                $down = 1 + $Random.Next(0, 6)
                Invoke-Lab 'kill-sshd', 'bastion'
                try {
                    if ((Get-LabEndpoints).bastion.pid) { $LabProblems.Add('kill-sshd: endpoints.json still has a bastion pid') }
                    if (-not (Test-BastionRefuses)) { $LabProblems.Add('kill-sshd: the bastion port still accepts connections') }
                    Wait-Watching $down
                }
                finally { Invoke-Lab 'start-sshd', 'bastion' }
                "bastion sshd down for $down s"
            }
            'link' {
                $down = 2 + $Random.Next(0, 7)
                Invoke-Lab 'link', 'down'
                try { Wait-Watching $down } finally { Invoke-Lab 'link', 'up' }
                "host<->bastion link down for $down s"
            }
            'restart-db' {
                $db = @('postgresTls', 'postgresPlain', 'mariadb', 'clickhouse', 'redis')[$Random.Next(0, 5)]
                $before = (Get-LabEndpoints).$db
                Invoke-Lab 'restart-db', $db
                $after = (Get-LabEndpoints).$db
                if (-not $after.pid -or $after.pid -eq $before.pid -or $after.port -ne $before.port) {
                    $LabProblems.Add("restart-db $db`: pid $($before.pid) port $($before.port), then pid $($after.pid) port $($after.port)")
                }
                "$db crashed (SIGKILL) and restarted"
            }
        }
    }

    function Invoke-Soak {
        # Runs the soak; returns its report (also written to output/test-results/soak.json).

        Initialize-LabWorkspace
        New-SoakIntegrations
        $tunnel = Start-SshTunnel -Integration soak-redis -ErrorAction Stop
        $script:RedisPort = [int]$tunnel.LocalPort

        # Warm-up: every tunnel up, every driver loaded and its pool made, once, before the baseline.
        Wait-Until { Test-AllReachable } 60 | Should -BeTrue -Because 'every integration answers before the soak starts'
        foreach ($w in $Workloads) { Invoke-SecureQuery $w.Integration $w.Query -CommandTimeout $CommandTimeout -ErrorAction Stop | Out-Null }
        $baseline = Get-Resources
        $reconnectsBefore = (@(Get-SshTunnel) | Measure-Object -Property Reconnects -Sum).Sum

        Write-Host "Soak: $SoakSeconds s, seed $SoakSeed (SECURECONNECT_SOAK_SEED=$SoakSeed repeats the faults), hang limit $HangLimit s"
        $random = [Random]::new($SoakSeed)
        $script:Running = [Collections.Concurrent.ConcurrentDictionary[string, datetime]]::new()
        $script:Hangs = [ordered]@{}
        $script:LabProblems = [Collections.Generic.List[string]]::new()
        $log = [Collections.Concurrent.ConcurrentQueue[object]]::new()
        $counts = [Collections.Concurrent.ConcurrentDictionary[string, object]]::new()
        $stop = [Threading.CancellationTokenSource]::new()
        $faults = [Collections.Generic.List[object]]::new()
        $unrecovered = [Collections.Generic.List[string]]::new()
        $recoveries = 0
        $deadline = [DateTime]::UtcNow.AddSeconds($SoakSeconds)
        $workers = @(
            foreach ($w in $Workloads) { Start-Worker $QueryWorker @($env:SECURECONNECT_MODULE_PATH, $w.Integration, $w.Query, $Rows, $CommandTimeout, $stop.Token, $Running, $counts, $log) }
            Start-Worker $TunnelWorker @($RedisPort, $stop.Token, $Running, $counts, $log)
        )
        $stuck = @()
        try {
            # The fault driver: a quiet spell, then a fault; the kinds in a shuffled order each round, and at least one
            # round, so every kind is injected however short the run.
            $kinds = @()
            while ([DateTime]::UtcNow -lt $deadline -or $faults.Count -lt 4) {
                Wait-Watching (3 + $random.Next(0, 6))
                if (-not $kinds) { $kinds = @('restart-sshd', 'kill-sshd', 'link', 'restart-db' | Sort-Object { $random.Next() }) }
                $kind, $kinds = $kinds
                $kinds = @($kinds | Where-Object { $_ })
                $at = [DateTime]::UtcNow
                $what = Invoke-Fault $kind $random
                $faults.Add([pscustomobject]@{ Kind = $kind; At = $at; What = $what })
                # The tunnel recovers every time: each integration and the tunnel answer again within a bounded wait.
                if (Wait-Until { Watch-Queries; Test-AllReachable } 90) { $recoveries++ }
                else {
                    $unrecovered.Add("after '$what' at $($at.ToString('HH:mm:ss'))")
                    Invoke-Lab 'heal'
                }
            }
            # The workers stop after their current query, which the hang limit bounds.
            $stop.Cancel()
            $allDone = Wait-Until { Watch-Queries; -not @($workers | Where-Object { -not $_.Async.IsCompleted }) } ($HangLimit + 10)
            if (-not $allDone) { $stuck = @($Running.Keys) }
        }
        finally {
            $stop.Cancel()
            foreach ($w in $workers) {
                if (-not $w.Async.IsCompleted) { $w.Shell.Stop() }
                $w.Shell.Dispose()
            }
            $stop.Dispose()
            Invoke-Lab 'heal'
        }

        # The end: every tunnel back, the same warm-up as at the start, then the same measurement; threads the runtime
        # started for the load retire on their own, so the growth is waited for (bounded), not sampled once.
        Wait-Until { Test-AllReachable } 90 | Out-Null
        foreach ($w in $Workloads) { Invoke-SecureQuery $w.Integration $w.Query -CommandTimeout $CommandTimeout -ErrorAction SilentlyContinue | Out-Null }
        $reconnects = (@(Get-SshTunnel) | Measure-Object -Property Reconnects -Sum).Sum - $reconnectsBefore
        # Bounds: every sshd fault makes all five tunnels reconnect, and every run has at least two (a restart-sshd and
        # a kill-sshd), so 10 reconnects or more: one thread or one socket leaked per reconnect passes 8. Pools and
        # the runtime's own threads come and go by a few. Managed memory: the soak keeps counts, not its queries, so
        # its own data does not grow with the run either.
        $bounds = [pscustomobject]@{ Threads = 8; Fds = 8; ManagedMB = 64 }
        $sample = @{}
        Wait-Until {
            $now = Get-Resources
            $sample.End = $now
            $now.Threads - $baseline.Threads -le $bounds.Threads -and $now.Fds - $baseline.Fds -le $bounds.Fds -and $now.ManagedMB - $baseline.ManagedMB -le $bounds.ManagedMB
        } 30 | Out-Null
        $end = $sample.End

        $failures = @($log.ToArray())
        $byOutcome = [ordered]@{}
        $byIntegration = [ordered]@{}
        foreach ($name in @($counts.Keys | Sort-Object)) {
            $mine = [ordered]@{}
            foreach ($o in @($counts[$name].Keys | Sort-Object)) {
                $mine[$o] = $counts[$name][$o]
                $byOutcome[$o] = [int]$byOutcome[$o] + $counts[$name][$o]
            }
            $byIntegration[$name] = $mine
        }
        $byKind = [ordered]@{}
        foreach ($g in $faults | Group-Object Kind | Sort-Object Name) { $byKind[$g.Name] = $g.Count }
        $Report = [pscustomobject]@{
            Seconds       = $SoakSeconds
            Seed          = $SoakSeed
            HangLimit     = $HangLimit
            Queries       = ($byOutcome.Values | Measure-Object -Sum).Sum
            Ok            = [int]$byOutcome['Ok']
            ByOutcome     = $byOutcome
            ByIntegration = $byIntegration
            Faults        = $faults.Count
            FaultsByKind  = $byKind
            FaultLog      = @($faults | ForEach-Object { "$($_.At.ToString('HH:mm:ss')) $($_.What)" })
            LabProblems   = @($LabProblems)
            Recoveries    = $recoveries
            Unrecovered   = @($unrecovered)
            Reconnects    = $reconnects
            Hangs         = @($Hangs.Values)
            Stuck         = @($stuck)
            Baseline      = $baseline
            End           = $end
            Bounds        = $bounds
            Partial       = [int]$byOutcome['Partial']
            PartialDetails = @($failures | Where-Object Outcome -eq 'Partial' | Select-Object -First 20 | ForEach-Object { "$($_.Integration): $($_.Message)" })
            Unexpected    = @(foreach ($name in $byIntegration.Keys) {
                    $allowed = if ($name -eq 'soak-redis') { @('Ok', 'TunnelTrafficFailed') } else { @('Ok', 'Partial') + $FaultIds }
                    foreach ($o in $byIntegration[$name].Keys) { if ($o -notin $allowed) { "$name`: $o x $($byIntegration[$name][$o])" } }
                })
            UnexpectedDetails = @($failures | Where-Object { $_.Outcome -notin @('Partial', 'TunnelTrafficFailed') + $FaultIds } | Select-Object -First 20 |
                    ForEach-Object { "$($_.Integration): $($_.Outcome): $($_.Message)" })
        }
        $json = $Report | ConvertTo-Json -Depth 6
        Write-Host "Soak report:`n$json"
        $results = Join-Path $PSScriptRoot '../output/test-results'
        New-Item -ItemType Directory -Force -Path $results | Out-Null
        Set-Content -LiteralPath (Join-Path $results 'soak.json') -Value $json
        $Report
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        if ($lab) {
            Set-Content -Path $lab.bastion.authorizedKeysPath -Value @()
            # Whatever failed, the lab is left healthy: every server up, the link up.
            if ($lab.mode -eq 'netns') { Invoke-Lab 'heal' }
        }
        if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }
    }
}

Describe 'Soak: queries and a tunnel while the bastion, the link and the databases fail' -Tag Lab, Faults, Soak {
    BeforeAll { if ($CanSoak) { $script:Report = Invoke-Soak } }
    AfterAll { if ($CanSoak) { Remove-LabWorkspace } }

    It 'injected faults of every kind, and queries ran through every integration and the tunnel' -Skip:(Skip-When $NoLab) {
        $Report.Faults | Should -BeGreaterOrEqual 4
        @($Report.FaultsByKind.Keys) | Should -Be @('kill-sshd', 'link', 'restart-db', 'restart-sshd')
        foreach ($name in 'soak-clickhouse', 'soak-mariadb', 'soak-pg-plain', 'soak-pg-tls', 'soak-redis') {
            $Report.ByIntegration[$name]['Ok'] | Should -BeGreaterThan 0 -Because "'$name' answered during the soak"
        }
    }

    It 'every query returned its whole result (count and checksum) or failed with an error, never a result cut short' -Skip:(Skip-When $NoLab) {
        $Report.Partial | Should -Be 0 -Because ($Report.PartialDetails -join '; ')
    }

    It 'every failure was one of the module''s ids for a fault, never a raw exception' -Skip:(Skip-When $NoLab) {
        $Report.Unexpected | Should -BeNullOrEmpty -Because ($Report.UnexpectedDetails -join '; ')
    }

    It 'no query ran past its timeout (hang limit: command timeout + connect waits + margin)' -Skip:(Skip-When $NoLab) {
        $Report.Hangs | Should -BeNullOrEmpty
        $Report.Stuck | Should -BeNullOrEmpty
    }

    It 'the tunnels recovered after every fault' -Skip:(Skip-When $NoLab) {
        $Report.Unrecovered | Should -BeNullOrEmpty
        $Report.Recoveries | Should -Be $Report.Faults
    }

    It 'threads, open file descriptors and managed memory did not grow with the faults' -Skip:(Skip-When $NoLab) {
        $because = "baseline $($Report.Baseline), end $($Report.End), after $($Report.Faults) faults and $($Report.Reconnects) tunnel reconnects"
        $Report.Reconnects | Should -BeGreaterThan $Report.Bounds.Threads -Because 'a leak per reconnect must be able to pass the bounds'
        $Report.Reconnects | Should -BeGreaterThan $Report.Bounds.Fds -Because 'a leak per reconnect must be able to pass the bounds'
        $Report.End.Threads - $Report.Baseline.Threads | Should -BeLessOrEqual $Report.Bounds.Threads -Because $because
        $Report.End.Fds - $Report.Baseline.Fds | Should -BeLessOrEqual $Report.Bounds.Fds -Because $because
        $Report.End.ManagedMB - $Report.Baseline.ManagedMB | Should -BeLessOrEqual $Report.Bounds.ManagedMB -Because $because
    }

    It 'the lab''s faults did what they say: a new pid on the same port after a restart, nothing listening while sshd is killed' -Skip:(Skip-When $NoLab) {
        $Report.LabProblems | Should -BeNullOrEmpty
    }

    It 'left the lab healthy: the link up, sshd and every database answering with its data' -Skip:(Skip-When $NoLab) {
        Invoke-Lab 'heal'
        $now = Get-LabEndpoints
        foreach ($name in 'bastion', 'postgresTls', 'postgresPlain', 'mariadb', 'clickhouse', 'redis') {
            $now.$name.pid | Should -Not -BeNullOrEmpty -Because "$name runs"
        }
        Wait-Until { Test-AllReachable } 60 | Should -BeTrue
        # A database crashed and started again on the same data: the lab's table is still there, whole.
        foreach ($w in $Workloads) {
            "$(Invoke-SecureQuery $w.Integration 'select count(*) from people' -As Scalar -ErrorAction Stop)" | Should -Be '5' -Because "$($w.Integration) keeps its data"
        }
    }
}

Describe 'A query while its tunnel''s bastion is down' -Tag Lab, Faults {
    BeforeAll {
        if ($CanSoak) {
            Initialize-LabWorkspace
            New-SoakIntegrations
        }
    }
    AfterAll {
        if ($CanSoak) { Invoke-Lab 'heal' }
        Remove-LabWorkspace
    }

    It 'fails with ConnectionFailed naming the tunnel, never as a server without TLS (PostgreSQL, MariaDB and ClickHouse, VerifyFull)' -Skip:(Skip-When $NoLab) {
        # The tunnel's local end accepts the driver's connection, waits for the bastion (its connect timeout), and
        # closes it: to a TLS driver that looked like a server that does not speak TLS (SslNotAvailable).
        $names = 'soak-pg-tls', 'soak-mariadb', 'soak-clickhouse'
        foreach ($name in $names) { "$(Invoke-SecureQuery $name 'select 1' -As Scalar -ErrorAction Stop)" | Should -Be '1' }
        Invoke-Lab 'kill-sshd', 'bastion'
        try {
            # In parallel: each waits for the tunnel, then for its relay (15 s each).
            $runs = @(foreach ($name in $names) {
                    Start-Worker {
                        param($Module, $Name)
                        Import-Module $Module
                        try { Invoke-SecureQuery $Name 'select 1' -As Scalar -CommandTimeout 10 -ErrorAction Stop; "$Name answered" }
                        catch { "$Name $($_.FullyQualifiedErrorId) $($_.Exception.Message)" }
                    } @($env:SECURECONNECT_MODULE_PATH, $name)
                })
            Wait-Until { -not @($runs | Where-Object { -not $_.Async.IsCompleted }) } $HangLimit | Should -BeTrue -Because 'a query fails within its hang limit'
            $results = @($runs | ForEach-Object { $_.Shell.EndInvoke($_.Async) })
        }
        finally {
            foreach ($r in $runs) { if (-not $r.Async.IsCompleted) { $r.Shell.Stop() }; $r.Shell.Dispose() }
            Invoke-Lab 'start-sshd', 'bastion'
        }

        $results | ForEach-Object { Write-Host "  $_" }
        foreach ($name in $names) {
            $result = $results | Where-Object { $_ -like "$name *" }
            $result | Should -Match "^$name ConnectionFailed,SecureConnect\.Commands\.InvokeSecureQueryCommand .*tunnel"
        }
        # And once the bastion is back, every one answers again.
        Wait-Until { Test-AllReachable -NoTunnel } 90 | Should -BeTrue
    }
}
