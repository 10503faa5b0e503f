# Tunnel benchmarks: SecureConnect's Start-SshTunnel against OpenSSH's ssh through the SAME lab bastion, in the same
# run, reported as ratios (these machines are shared and noisy: absolute times mean little). Called at the end of
# Bench.ps1 (build.ps1 -Task Bench), or directly with SECURECONNECT_MODULE_PATH and SECURECONNECT_LAB_ENDPOINTS set.
# It prints tables and never judges a ratio: it fails only when a case cannot run at all.
param(
    # Runs per case (medians): the defaults keep the whole script within about 4 minutes on a shared 2-core machine.
    [int] $CopyRuns = 3,
    [int] $CopyRows = 1000000,
    [int] $WarmUpRows = 100000,
    [int] $StartRuns = 9,
    [int] $Concurrent = 256,
    [int] $Baseline = 16,
    [int] $RedisValueBytes = 64KB,
    [int] $RedisRounds = 4,
    [int] $ManyRuns = 3,
    [int] $Streams = 8,
    [int] $ColdRuns = 5,
    # A case that failed or was disturbed by another user of the lab (an sshd restart, a cut link, an auth delay,
    # a rewritten authorized_keys) runs again, at most this many times.
    [int] $MaxRetries = 3
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot '../common.ps1')   # imports the built module; Get-FreePort, Invoke-ChildPwsh, Wait-Until
# Run alone, the results are only printed; from Bench.ps1 they go to its report too.
if (-not (Get-Command Add-BenchResult -ErrorAction SilentlyContinue)) { . (Join-Path $PSScriptRoot 'BenchReport.ps1') }

$endpoints = $env:SECURECONNECT_LAB_ENDPOINTS
if (-not $endpoints -or -not (Test-Path $endpoints)) { Write-Host 'The lab is not running: skipping the tunnel benchmarks.'; return }
$missing = @(
    foreach ($tool in 'ssh', 'psql') { if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { "$tool is not installed" } }
    $bastion = (Get-Content -Raw $endpoints | ConvertFrom-Json).bastion
    if (-not $bastion.available) { "the lab has no bastion ($($bastion.reason))" }
)
if ($missing) { Write-Host "Skipping the tunnel benchmarks: $($missing -join '; ')."; return }
$sshPath = (Get-Command ssh).Source
$psqlPath = (Get-Command psql).Source

# Everything this script creates lives under $work, whose name is unique: every ssh it starts carries a path under
# it on its command line, which is how the backgrounded ones (-f) are found again, to be ended by PID.
$work = Join-Path ([IO.Path]::GetTempPath()) ("sc-bench-tunnel-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $work | Out-Null
$env:SECURECONNECT_HOME = Join-Path $work 'ws'
$script:sshCount = 0

# The Redis client: the same code runs in the child pwsh (SecureConnect) and here (against ssh).
$redisClientCode = @'
function Open-RedisConnection([int] $Port, [int] $Count, [System.Collections.Generic.List[System.Net.Sockets.TcpClient]] $Into) {
    for ($i = 0; $i -lt $Count; $i++) {
        $client = [System.Net.Sockets.TcpClient]::new()
        $client.NoDelay = $true
        $client.ReceiveTimeout = 30000
        $client.SendTimeout = 30000
        $Into.Add($client)
        $client.Connect('127.0.0.1', $Port)
    }
}

function Read-Exactly([System.Net.Sockets.TcpClient] $Client, [byte[]] $Buffer, [int] $Count) {
    $stream = $Client.GetStream()
    $done = 0
    while ($done -lt $Count) {
        $n = $stream.Read($Buffer, $done, $Count - $done)
        if ($n -le 0) { throw "The connection through the tunnel closed after $done of $Count reply bytes." }
        $done += $n
    }
}

function ConvertTo-Resp([object[]] $Parts) {
    # One Redis command in RESP: an array of bulk strings (byte[] parts are sent as they are).
    $ms = [IO.MemoryStream]::new()
    $ascii = [Text.Encoding]::ASCII
    $head = $ascii.GetBytes("*$($Parts.Count)`r`n"); $ms.Write($head, 0, $head.Length)
    foreach ($part in $Parts) {
        $bytes = if ($part -is [byte[]]) { $part } else { $ascii.GetBytes([string]$part) }
        $len = $ascii.GetBytes("`$$($bytes.Length)`r`n"); $ms.Write($len, 0, $len.Length)
        $ms.Write($bytes, 0, $bytes.Length); $ms.Write([byte[]](13, 10), 0, 2)
    }
    , $ms.ToArray()
}

function Invoke-RedisRound($Clients, [byte[]] $Request, [string] $ReplyHead, [int] $ReplyLength, [byte[]] $Buffer) {
    # The request goes out on every connection before any reply is read, so that all of them are in flight through
    # the tunnel at once; one reply (64 KB and a few bytes at most) fits the socket buffers while it waits.
    foreach ($c in $Clients) { $c.GetStream().Write($Request, 0, $Request.Length) }
    foreach ($c in $Clients) {
        Read-Exactly $c $Buffer $ReplyLength
        $head = [Text.Encoding]::ASCII.GetString($Buffer, 0, $ReplyHead.Length)
        if ($head -cne $ReplyHead) { throw "Unexpected Redis reply '$head' (expected '$ReplyHead')." }
    }
}

function Invoke-RedisLoad($Clients, [string] $Key, [int] $ValueBytes, [int] $Rounds) {
    # PING on each connection, then $Rounds times a SET and a GET of one $ValueBytes value on each.
    $buffer = [byte[]]::new($ValueBytes + 64)
    Invoke-RedisRound $Clients (ConvertTo-Resp @('PING')) '+PONG' 7 $buffer
    $value = [byte[]]::new($ValueBytes)
    [Random]::new(7).NextBytes($value)
    $set = ConvertTo-Resp @('SET', $Key, $value, 'EX', '300')
    $get = ConvertTo-Resp @('GET', $Key)
    $getHead = "`$$ValueBytes`r`n"
    for ($r = 0; $r -lt $Rounds; $r++) {
        Invoke-RedisRound $Clients $set '+OK' 5 $buffer
        Invoke-RedisRound $Clients $get $getHead ($getHead.Length + $ValueBytes + 2) $buffer
    }
}

function Close-RedisConnection($Clients) {
    foreach ($c in $Clients) { $c.Dispose() }
    $Clients.Clear()
}
'@
. ([scriptblock]::Create($redisClientCode))

function Write-Table([string] $Title, $Rows) {
    Write-Host $Title
    $Rows | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
}

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $sorted[[int][Math]::Floor($sorted.Count / 2)]
}

function Get-AuthorizedKeyLine { ($script:key | ConvertTo-AuthorizedKey).Trim() }

function Test-BenchKey { @(Get-Content -Path $script:b1.authorizedKeysPath -ErrorAction SilentlyContinue | ForEach-Object Trim) -contains (Get-AuthorizedKeyLine) }

function Grant-BenchKey {
    # Adds our key line to the lab's authorized_keys unless it is there. The lab may be shared: the line is appended
    # (the file keeps its owner and mode) rather than replacing what another run put there.
    if (-not (Test-Path $script:b1.authorizedKeysPath)) { throw "The lab's $($script:b1.authorizedKeysPath) is gone (the lab is being restarted?)." }
    if (-not (Test-BenchKey)) { Add-Content -Path $script:b1.authorizedKeysPath -Value (Get-AuthorizedKeyLine) }
}

function Revoke-BenchKey {
    # Removes only our line: the file is left as it was before us (empty, in a lab the benchmark started itself).
    if (-not $script:key -or -not $script:b1) { return }
    $line = Get-AuthorizedKeyLine
    $others = @(Get-Content -Path $script:b1.authorizedKeysPath | Where-Object { $_.Trim() -and $_.Trim() -ne $line })
    Set-Content -Path $script:b1.authorizedKeysPath -Value $others
}

function Initialize-BenchLab {
    # (Re)reads the lab, puts our key in its authorized_keys and trusts its bastions: at the start and before every
    # retry, since a shared lab may have been restarted meanwhile (new host keys, new passwords).
    if (-not (Wait-Until { Test-Path $endpoints } 60 1000)) { throw "The lab stopped ($endpoints is gone)." }
    $script:lab = Get-Content -Raw $endpoints | ConvertFrom-Json
    if (-not $lab.bastion.authorizedKeysPath -or -not $lab.stateDir) { throw "$endpoints is incomplete (the lab is being restarted?)." }
    $script:db = $lab.postgresTls
    $script:redis = $lab.redis
    $script:b1 = $lab.bastion
    $script:b2 = $lab.bastion2
    $script:labLog = Join-Path $lab.stateDir 'lab.log'
    Grant-BenchKey
    $entry = Get-SshServerKey -HostName $b1.host -Port $b1.port | Add-SshKnownHost -Force
    if ($entry.Fingerprint -ne $b1.hostKeyFingerprint) { throw "The bastion presented $($entry.Fingerprint), not the lab's $($b1.hostKeyFingerprint) (a host key rotation in progress?)." }
    $script:knownHosts = $entry.Path
    if ($b2.available) {
        # bastion2 is reachable only through the bastion: trusted from the lab's own host key file, checked against
        # the fingerprint the lab published.
        $pub = ((Get-Content -Raw $b2.hostKeyPath).Trim() -split '\s+')[0..1] -join ' '
        $entry = Add-SshKnownHost -HostName $b2.hostName -Port $b2.port -PublicKey $pub -Force
        if ($entry.Fingerprint -ne $b2.hostKeyFingerprint) { throw "bastion2's host key file ($($entry.Fingerprint)) does not match the lab's fingerprint ($($b2.hostKeyFingerprint))." }
    }
}

function Test-BastionReachable {
    $client = [System.Net.Sockets.TcpClient]::new()
    try { $client.ConnectAsync($script:b1.host, [int]$script:b1.port).Wait(2000) -and $client.Connected }
    catch { $false }
    finally { $client.Dispose() }
}

function Get-LabStamp {
    # When the lab was started: a change means that it was restarted (its lab.log starts again then).
    try { (Get-Content -Raw $endpoints -ErrorAction Stop | ConvertFrom-Json).createdAt } catch { 'not running' }
}

function Get-LabEventCount { if (Test-Path $script:labLog) { @(Get-Content $script:labLog).Count } else { 0 } }

function Get-LabEvent([int] $Skip) {
    # What lab.sh did since line $Skip of its log (sshd restarts, link down/up, auth delays, host key rotations).
    if (Test-Path $script:labLog) { @(Get-Content $script:labLog | Select-Object -Skip $Skip | ForEach-Object { ($_ -replace '^\S+Z\s+', '').Trim() }) }
}

function Get-BenchSshProcess([string] $Marker) {
    # The ssh processes this script started: one argument is $Marker or, without one, a path under $work.
    foreach ($p in @(Get-Process -Name ssh -ErrorAction SilentlyContinue)) {
        $argv = try { [IO.File]::ReadAllText("/proc/$($p.Id)/cmdline").Split([char]0) } catch { @() }
        $ours = if ($Marker) { $argv -contains $Marker } else { @($argv | Where-Object { $_.StartsWith($work) }).Count -gt 0 }
        if ($ours) { $p }
    }
}

function Stop-BenchSsh([string] $Marker) {
    foreach ($p in @(Get-BenchSshProcess $Marker)) {
        try { $p.Kill(); $p.WaitForExit(5000) | Out-Null } catch { Write-Verbose "ssh $($p.Id) had already exited." }
    }
}

function Get-SshBaseArgument([string] $Log, [switch] $VerboseLog) {
    # No user or system ssh_config (-F /dev/null), only the workspace key, only the workspace's known_hosts.
    @('-F', '/dev/null', '-i', $script:key.PrivateKeyPath, '-o', 'IdentitiesOnly=yes', '-o', "UserKnownHostsFile=$script:knownHosts",
        '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', '-E', $Log) + @(if ($VerboseLog) { '-v' })
}

function Start-SshForward([string] $RemoteHost, [int] $RemotePort, [int] $LocalPort, [switch] $ViaJump, [switch] $VerboseLog) {
    # ssh -f -N -L with ExitOnForwardFailure: the started ssh exits (0) once the forward listens and leaves the
    # forwarding ssh in the background. Through the jump host: ProxyCommand ssh -W, since ssh -J would not pass the
    # key and known_hosts options on to the first hop.
    $n = ++$script:sshCount
    $log = Join-Path $work "ssh-$n.log"
    $sshArgs = (Get-SshBaseArgument $log -VerboseLog:$VerboseLog) + @('-f', '-N', '-o', 'ExitOnForwardFailure=yes', '-L', "127.0.0.1:$($LocalPort):$($RemoteHost):$RemotePort")
    $proxyLog = $null
    if ($ViaJump) {
        $proxyLog = Join-Path $work "ssh-$n-jump.log"
        $proxy = @($sshPath) + (Get-SshBaseArgument $proxyLog -VerboseLog:$VerboseLog) + @('-p', "$($b1.port)", '-W', '%h:%p', "$($b1.user)@$($b1.host)")
        $sshArgs += @('-o', "ProxyCommand=$($proxy -join ' ')", '-p', "$($b2.port)", "$($b2.user)@$($b2.hostName)")
    }
    else {
        $sshArgs += @('-p', "$($b1.port)", "$($b1.user)@$($b1.host)")
    }
    $psi = [Diagnostics.ProcessStartInfo]::new($sshPath)
    foreach ($a in $sshArgs) { $psi.ArgumentList.Add($a) }
    # Redirected and never read: the backgrounded ssh inherits them, and writes its messages to -E instead.
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
    $p = [Diagnostics.Process]::Start($psi)
    $p.StandardInput.Close()
    if (-not $p.WaitForExit(30000)) { $p.Kill(); throw "ssh -f did not finish starting the forward within 30 s (log: $log)." }
    if ($p.ExitCode -ne 0) {
        $why = (@(Get-Content $log, $proxyLog -ErrorAction SilentlyContinue) | Where-Object { $_ -notmatch '^debug' } | Select-Object -Last 3) -join ' '
        throw "ssh -f -N -L failed ($($p.ExitCode)): $why"
    }
    [pscustomobject]@{ LocalPort = $LocalPort; Log = $log; ProxyLog = $proxyLog }
}

function Get-SshForwardPid($Forward) {
    # Looked up apart from Start-SshForward, so that no start-up time includes the search.
    $forwarder = @(Get-BenchSshProcess $Forward.Log)
    if ($forwarder.Count -ne 1) { throw "Found $($forwarder.Count) forwarding ssh processes for $($Forward.Log) (expected 1)." }
    $forwarder[0].Id
}

function Stop-SshForward($Forward) {
    if (-not $Forward) { return }
    Stop-BenchSsh $Forward.Log
    if ($Forward.ProxyLog) { Stop-BenchSsh $Forward.ProxyLog }
}

function Get-SshCipher($Forward) {
    # What ssh -v logged: "kex: server->client cipher: <name> MAC: ..." (per hop through the jump host).
    $cipherOf = { param($log) (Select-String -Path $log -Pattern 'kex: server->client cipher: (\S+)' | Select-Object -First 1).Matches.Groups[1].Value }
    $last = & $cipherOf $Forward.Log
    if ($Forward.ProxyLog) { "$last (jump hop: $(& $cipherOf $Forward.ProxyLog))" } else { $last }
}

function Start-BenchTunnel([string] $RemoteHost, [int] $RemotePort, [switch] $ViaJump, [switch] $WithCipher) {
    # The tunnel; with -WithCipher an object with the tunnel and the cipher it negotiated (per hop).
    $tunnelArgs = @{ User = $b1.user; RemoteHost = $RemoteHost; RemotePort = $RemotePort; LocalPort = 0; ConnectTimeout = 15 }
    $tunnelArgs += if ($ViaJump) { @{ JumpHost = "$($b1.user)@$($b1.host):$($b1.port)"; Bastion = $b2.hostName; BastionPort = $b2.port } } else { @{ Bastion = $b1.host; BastionPort = $b1.port } }
    if (-not $WithCipher) { return (Start-SshTunnel @tunnelArgs) }
    # Verbose names each hop's cipher as it connects: "Connected to <hop> (host key ...; cipher <name>, key exchange ...)".
    $out = @(Start-SshTunnel @tunnelArgs -Verbose 4>&1)
    $ciphers = @(foreach ($o in $out) { if ($o -is [Management.Automation.VerboseRecord] -and $o.Message -match '; cipher ([^,\s]+),') { $Matches[1] } })
    $cipher = switch ($ciphers.Count) {
        0 { 'not reported' }
        1 { $ciphers[0] }
        default { "$($ciphers[-1]) (jump hop: $($ciphers[0]))" }
    }
    [pscustomobject]@{ Tunnel = @($out | Where-Object { $_ -is [SecureConnect.SshTunnel] })[0]; Cipher = $cipher }
}

function Invoke-PsqlCopy([int] $Port, [int] $Rows) {
    # psql \copy of $Rows rows of ~400 bytes through 127.0.0.1:$Port to a file; returns milliseconds and bytes.
    # The password reaches psql through its own environment only (PGPASSWORD): never this process's, never a file.
    $file = Join-Path $work 'copy.csv'
    $sql = "\copy (select g, repeat(md5(g::text), 12) from generate_series(1, $Rows) g) to '$file' csv header"
    $psi = [Diagnostics.ProcessStartInfo]::new($psqlPath)
    foreach ($a in @("host=127.0.0.1 port=$Port dbname=$($db.database) user=$($db.user) sslmode=require connect_timeout=15", '-X', '-q', '-c', $sql)) { $psi.ArgumentList.Add($a) }
    $psi.Environment['PGPASSWORD'] = $db.password
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $p = [Diagnostics.Process]::Start($psi)
    $p.StandardInput.Close()
    $stdout = $p.StandardOutput.ReadToEndAsync(); $stderr = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit(180000)) { $p.Kill(); throw "psql \copy through port $Port did not finish within 180 s." }
    $p.WaitForExit()
    $ms = $sw.Elapsed.TotalMilliseconds
    $null = $stdout.Result
    if ($p.ExitCode -ne 0) { throw "psql \copy through port $Port failed ($($p.ExitCode)): $($stderr.Result.Trim())" }
    $bytes = (Get-Item $file).Length
    Remove-Item $file
    if ($bytes -lt $Rows * 385) { throw "psql \copy wrote $bytes bytes for $Rows rows: fewer than expected." }
    [pscustomobject]@{ Ms = $ms; Bytes = $bytes }
}

function Invoke-PsqlCopyParallel([int] $Port, [int] $Rows, [int] $Count) {
    # $Count psql \copy at once through 127.0.0.1:$Port, $Rows rows each; returns the time until the last finished.
    $procs = @(); $files = @()
    $sw = [Diagnostics.Stopwatch]::StartNew()
    for ($i = 0; $i -lt $Count; $i++) {
        $file = Join-Path $work "copy-$i.csv"; $files += $file
        $sql = "\copy (select g, repeat(md5(g::text), 12) from generate_series(1, $Rows) g) to '$file' csv header"
        $psi = [Diagnostics.ProcessStartInfo]::new($psqlPath)
        foreach ($a in @("host=127.0.0.1 port=$Port dbname=$($db.database) user=$($db.user) sslmode=require connect_timeout=15", '-X', '-q', '-c', $sql)) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PGPASSWORD'] = $db.password
        $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        $p.StandardInput.Close()
        $procs += [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }
    $failed = @()
    foreach ($x in $procs) {
        if (-not $x.Process.WaitForExit(300000)) { $x.Process.Kill(); $failed += 'did not finish within 300 s' }
        $x.Process.WaitForExit()
        $null = $x.Out.Result
        if ($x.Process.ExitCode -ne 0) { $failed += "exit $($x.Process.ExitCode): $($x.Err.Result.Trim())" }
    }
    $ms = $sw.Elapsed.TotalMilliseconds
    $bytes = ($files | ForEach-Object { (Get-Item $_ -ErrorAction SilentlyContinue).Length } | Measure-Object -Sum).Sum
    Remove-Item $files -ErrorAction SilentlyContinue
    if ($failed) { throw "$($failed.Count) of $Count parallel psql \copy through port $Port failed: $($failed[0])" }
    if ($bytes -lt $Count * $Rows * 385) { throw "The $Count parallel copies wrote $bytes bytes for $($Count * $Rows) rows: fewer than expected." }
    [pscustomobject]@{ Ms = $ms; Bytes = $bytes }
}

function Send-RedisPing([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.NoDelay = $true
        $client.ReceiveTimeout = 15000
        $client.Connect('127.0.0.1', $Port)
        $buffer = [byte[]]::new(16)
        $client.GetStream().Write([Text.Encoding]::ASCII.GetBytes("PING`r`n"), 0, 6)
        Read-Exactly $client $buffer 7
        $reply = [Text.Encoding]::ASCII.GetString($buffer, 0, 5)
        if ($reply -cne '+PONG') { throw "Redis answered '$reply' to PING through port $Port." }
    }
    finally { $client.Dispose() }
}

function Invoke-BenchCase([string] $Name, [scriptblock] $Body) {
    # The lab may be shared with another run that restarts the bastion's sshd, cuts the link, delays logins or
    # rewrites authorized_keys. A case that fails, or during which lab.sh logged such an event, runs again (after
    # the lab is read again and our key line written again), at most $MaxRetries times. A result that was still
    # disturbed the last time is printed with the events; a case that still fails fails the script.
    for ($attempt = 0; ; $attempt++) {
        $again = "retrying ($($attempt + 1) of $MaxRetries)"
        $delayFile = Join-Path $lab.stateDir 'auth-delay'
        if (-not (Wait-Until { -not (Test-Path $delayFile) } 60 1000)) { Write-Host "$($Name): the lab's bastion still delays logins (lab.sh auth-delay); measuring anyway." }
        $eventsBefore = Get-LabEventCount
        $stampBefore = Get-LabStamp
        $failure = $null
        try {
            if ($attempt -gt 0) { Initialize-BenchLab }
            $result = & $Body
        }
        catch { $failure = $_ }
        $labEvents = @(Get-LabEvent $eventsBefore)
        if ((Get-LabStamp) -ne $stampBefore) { $labEvents += 'the lab was restarted' }
        if (-not $failure) {
            if (-not $labEvents) { return $result }
            $note = "disturbed by the lab: $($labEvents -join '; ')"
            if ($attempt -ge $MaxRetries) {
                $result | Add-Member -NotePropertyName Disturbed -NotePropertyValue $note -PassThru
                return
            }
            Write-Host "$($Name): $note; $again."
        }
        else {
            Get-SshTunnel | Stop-SshTunnel
            Stop-BenchSsh
            if ($attempt -ge $MaxRetries) { throw $failure }
            $why = @(if ($labEvents) { "lab: $($labEvents -join '; ')" }; if (-not (Test-BenchKey)) { 'our authorized_keys line was gone' })
            Write-Host "$($Name) failed: $($failure.Exception.Message)$(if ($why) { " ($($why -join '; '))" }); $again."
        }
        Start-Sleep -Seconds 10   # past a burst of lab.sh actions, if it was one
        if (-not (Wait-Until { Test-BastionReachable } 60 1000)) { Write-Host "$($Name): the bastion $($b1.host):$($b1.port) still accepts no connection (lab.sh link down?)." }
    }
}

function Measure-Copy([string] $Case, [switch] $ViaJump) {
    Invoke-BenchCase $Case {
        $tunnel = $null; $forward = $null
        try {
            Grant-BenchKey
            $started = Start-BenchTunnel $db.hostName $db.port -ViaJump:$ViaJump -WithCipher
            $tunnel = $started.Tunnel
            Grant-BenchKey
            $forward = Start-SshForward $db.hostName $db.port (Get-FreePort) -ViaJump:$ViaJump -VerboseLog
            Invoke-PsqlCopy $tunnel.LocalPort $WarmUpRows | Out-Null
            Invoke-PsqlCopy $forward.LocalPort $WarmUpRows | Out-Null
            $ours = [Collections.Generic.List[double]]::new(); $ref = [Collections.Generic.List[double]]::new()
            $bytes = 0
            for ($i = 0; $i -lt $CopyRuns; $i++) {
                # Alternate which goes first, so that a slow phase of the shared machine hits both.
                foreach ($who in $(if ($i % 2) { 'ssh', 'sc' } else { 'sc', 'ssh' })) {
                    $r = Invoke-PsqlCopy $(if ($who -eq 'sc') { $tunnel.LocalPort } else { $forward.LocalPort }) $CopyRows
                    if ($who -eq 'sc') { $ours.Add($r.Ms) } else { $ref.Add($r.Ms) }
                    $bytes = $r.Bytes
                }
            }
            [pscustomobject]@{ Ours = (Get-Median $ours); Ref = (Get-Median $ref); OursRuns = $ours.ToArray(); RefRuns = $ref.ToArray(); Bytes = $bytes; OursCipher = $started.Cipher; SshCipher = (Get-SshCipher $forward) }
        }
        finally {
            if ($tunnel) { $tunnel | Stop-SshTunnel }
            Stop-SshForward $forward
        }
    }
}

function Measure-ParallelCopy {
    # The same rows as the single copy, split over $Streams psql processes at once, through one tunnel / one ssh -L.
    Invoke-BenchCase "$Streams parallel streams" {
        $tunnel = $null; $forward = $null
        try {
            Grant-BenchKey
            $tunnel = Start-BenchTunnel $db.hostName $db.port
            Grant-BenchKey
            $forward = Start-SshForward $db.hostName $db.port (Get-FreePort)
            $each = [int][Math]::Ceiling($CopyRows / $Streams)
            Invoke-PsqlCopyParallel $tunnel.LocalPort ([int]($WarmUpRows / $Streams)) $Streams | Out-Null
            Invoke-PsqlCopyParallel $forward.LocalPort ([int]($WarmUpRows / $Streams)) $Streams | Out-Null
            $ours = [Collections.Generic.List[double]]::new(); $ref = [Collections.Generic.List[double]]::new()
            $bytes = 0
            for ($i = 0; $i -lt $CopyRuns; $i++) {
                foreach ($who in $(if ($i % 2) { 'ssh', 'sc' } else { 'sc', 'ssh' })) {
                    $r = Invoke-PsqlCopyParallel $(if ($who -eq 'sc') { $tunnel.LocalPort } else { $forward.LocalPort }) $each $Streams
                    if ($who -eq 'sc') { $ours.Add($r.Ms) } else { $ref.Add($r.Ms) }
                    $bytes = $r.Bytes
                }
            }
            [pscustomobject]@{ Ours = (Get-Median $ours); Ref = (Get-Median $ref); OursRuns = $ours.ToArray(); RefRuns = $ref.ToArray(); Bytes = $bytes; OursCipher = '(as in 1)'; SshCipher = '(as in 1)' }
        }
        finally {
            if ($tunnel) { $tunnel | Stop-SshTunnel }
            Stop-SshForward $forward
        }
    }
}

function Measure-ColdStart {
    # From nothing to the first query's answer, as a runbook does it: a new pwsh imports the module and queries a saved
    # integration whose tunnel starts by itself; against a new ssh -f -N -L followed by psql -c 'select 1'. Also a
    # pwsh that only starts, and one that only imports the module, to show where the time goes. Times from outside.
    Grant-BenchKey
    $name = "bench-cold-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
    New-SecureIntegration -Name $name -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database -SslMode VerifyFull -CaCertificatePath $db.caPath -SshBastion "$($b1.host):$($b1.port)" -SshUser $b1.user | Out-Null
    $childEnv = @{ BENCH_PW = $db.password; SECURECONNECT_HOME = $env:SECURECONNECT_HOME }
    $module = $env:SECURECONNECT_MODULE_PATH
    $scripts = [ordered]@{
        'pwsh -NoProfile (start only)' = 'exit 0'
        'pwsh + Import-Module SecureConnect' = "Import-Module '$module'"
        'pwsh + Import-Module + first query (tunnel started by the integration)' = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$module'
`$v = Invoke-SecureQuery -Integration '$name' -Credential ([pscredential]::new('$($db.user)', (ConvertTo-SecureString `$env:BENCH_PW -AsPlainText -Force))) -Query 'select 1 as one' -As Scalar
if (`$v -ne 1) { throw "select 1 gave `$v" }
"@
    }
    try {
        $times = [ordered]@{}; foreach ($k in $scripts.Keys) { $times[$k] = [Collections.Generic.List[double]]::new() }
        $ref = [Collections.Generic.List[double]]::new()
        for ($i = -1; $i -lt $ColdRuns; $i++) {
            foreach ($k in $scripts.Keys) {
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $r = Invoke-ChildPwsh -Script $scripts[$k] -Environment $childEnv -TimeoutSeconds 120
                $ms = $sw.Elapsed.TotalMilliseconds
                if ($r.ExitCode -ne 0) { throw "$k failed ($($r.ExitCode)): $((@($r.Error -split "`n" | Where-Object { $_.Trim() }) | Select-Object -Last 2) -join ' ')" }
                if ($i -ge 0) { $times[$k].Add($ms) }
            }
            Grant-BenchKey
            $forward = $null
            $sw = [Diagnostics.Stopwatch]::StartNew()
            try {
                $forward = Start-SshForward $db.hostName $db.port (Get-FreePort)
                $psi = [Diagnostics.ProcessStartInfo]::new($psqlPath)
                # hostaddr is where the socket goes; host is the name verify-full checks, as SecureConnect does.
                foreach ($a in @("host=$($db.hostName) hostaddr=127.0.0.1 port=$($forward.LocalPort) dbname=$($db.database) user=$($db.user) sslmode=verify-full sslrootcert=$($db.caPath) connect_timeout=15", '-XAtc', 'select 1')) { $psi.ArgumentList.Add($a) }
                $psi.Environment['PGPASSWORD'] = $db.password
                $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
                $p = [Diagnostics.Process]::Start($psi)
                $out = $p.StandardOutput.ReadToEnd(); $err = $p.StandardError.ReadToEnd()
                $p.WaitForExit()
                $ms = $sw.Elapsed.TotalMilliseconds
            }
            finally { Stop-SshForward $forward }
            if ($p.ExitCode -ne 0 -or $out.Trim() -ne '1') { throw "psql through ssh -L failed ($($p.ExitCode)): $($err.Trim())" }
            if ($i -ge 0) { $ref.Add($ms) }
        }
        [pscustomobject]@{ Times = $times; Ref = $ref }
    }
    finally {
        Remove-SecureIntegration -Name $name -Confirm:$false
    }
}

function Get-MedianObject($Runs) {
    # The median of each property over the runs.
    $median = [ordered]@{}
    foreach ($name in $Runs[0].PSObject.Properties.Name) { $median[$name] = Get-Median @($Runs | ForEach-Object $name) }
    [pscustomobject]$median
}

function Measure-ManyThroughTunnel {
    # In a child pwsh, so that the working set is that of a process holding the tunnel and the clients only.
    # It is read after a GC: at $Baseline connections (after a PING, then after one SET/GET round) and at $Concurrent.
    $redisKey = "scbench:$([guid]::NewGuid().ToString('N'))"
    $child = @"
`$ErrorActionPreference = 'Stop'
`$PSStyle.OutputRendering = 'PlainText'
Import-Module `$env:SECURECONNECT_MODULE_PATH
$redisClientCode
function Get-WorkingSetMB {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    [Diagnostics.Process]::GetCurrentProcess().WorkingSet64 / 1MB
}
`$clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
`$before = Get-WorkingSetMB
`$t = Start-SshTunnel -Bastion '$($b1.host)' -BastionPort $($b1.port) -User '$($b1.user)' -RemoteHost '$($redis.hostName)' -RemotePort $($redis.port) -LocalPort 0 -ConnectTimeout 15
try {
    Open-RedisConnection `$t.LocalPort $Baseline `$clients
    Invoke-RedisRound `$clients (ConvertTo-Resp @('PING')) '+PONG' 7 ([byte[]]::new(16))
    `$atBaseline = Get-WorkingSetMB
    Invoke-RedisLoad `$clients '$redisKey' $RedisValueBytes 1
    `$atBaselineWarm = Get-WorkingSetMB
    Open-RedisConnection `$t.LocalPort $($Concurrent - $Baseline) `$clients
    `$sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-RedisLoad `$clients '$redisKey' $RedisValueBytes $RedisRounds
    `$loadMs = `$sw.Elapsed.TotalMilliseconds
    `$active = `$t.ActiveConnections
    `$atConcurrent = Get-WorkingSetMB
    Invoke-RedisRound @(`$clients[0]) (ConvertTo-Resp @('DEL', '$redisKey')) ':' 4 ([byte[]]::new(16))
    [pscustomobject]@{ Before = `$before; AtBaseline = `$atBaseline; AtBaselineWarm = `$atBaselineWarm; AtConcurrent = `$atConcurrent; LoadMs = `$loadMs; Active = `$active } | ConvertTo-Json -Compress
}
finally {
    Close-RedisConnection `$clients
    `$t | Stop-SshTunnel
}
"@
    Grant-BenchKey
    $r = Invoke-ChildPwsh -Script $child -TimeoutSeconds 150
    if ($r.ExitCode -ne 0) { throw "The child pwsh failed ($($r.ExitCode)): $((@($r.Error -split "`n" | Where-Object { $_.Trim() -and $_ -notmatch '^WARNING' }) | Select-Object -Last 3) -join ' ')" }
    ($r.Output.Trim() -split "`n" | Select-Object -Last 1) | ConvertFrom-Json
}

function Measure-ManyThroughSsh {
    # The same load through ssh -N -L, its clients here; the ssh process's VmRSS at the same points.
    $redisKey = "scbench:$([guid]::NewGuid().ToString('N'))"
    Grant-BenchKey
    $clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
    $forward = $null
    try {
        $forward = Start-SshForward $redis.hostName $redis.port (Get-FreePort)
        $sshPid = Get-SshForwardPid $forward
        $rss = { [double]((Get-Content "/proc/$sshPid/status" | Select-String '^VmRSS:\s+(\d+)').Matches.Groups[1].Value) / 1KB }
        $before = & $rss
        Open-RedisConnection $forward.LocalPort $Baseline $clients
        Invoke-RedisRound $clients (ConvertTo-Resp @('PING')) '+PONG' 7 ([byte[]]::new(16))
        $atBaseline = & $rss
        Invoke-RedisLoad $clients $redisKey $RedisValueBytes 1
        $atBaselineWarm = & $rss
        Open-RedisConnection $forward.LocalPort ($Concurrent - $Baseline) $clients
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Invoke-RedisLoad $clients $redisKey $RedisValueBytes $RedisRounds
        $loadMs = $sw.Elapsed.TotalMilliseconds
        $atConcurrent = & $rss
        # The key would expire by itself (EX 300); this removes it now.
        Invoke-RedisRound @($clients[0]) (ConvertTo-Resp @('DEL', $redisKey)) ':' 4 ([byte[]]::new(16))
        [pscustomobject]@{ Before = $before; AtBaseline = $atBaseline; AtBaselineWarm = $atBaselineWarm; AtConcurrent = $atConcurrent; LoadMs = $loadMs; Active = $clients.Count }
    }
    finally {
        Close-RedisConnection $clients
        Stop-SshForward $forward
    }
}

function Write-Disturbed($Result) {
    if ($Result.PSObject.Properties['Disturbed']) { Write-Host "Note: every attempt of this case was $($Result.Disturbed)." }
}

function Write-CopyResult([string] $Title, $Result, [string] $Target) {
    $mb = $Result.Bytes / 1MB
    $runs = { param($ms) ($ms | ForEach-Object { '{0:N2}' -f ($_ / 1000) }) -join ' ' }
    Write-Table $Title @(
        [pscustomobject]@{ Tool = 'SecureConnect Start-SshTunnel'; 'Median s' = [Math]::Round($Result.Ours / 1000, 2); 'Runs s' = (& $runs $Result.OursRuns); 'MB/s' = [Math]::Round($mb / ($Result.Ours / 1000), 1); Cipher = $Result.OursCipher }
        [pscustomobject]@{ Tool = 'ssh -N -L'; 'Median s' = [Math]::Round($Result.Ref / 1000, 2); 'Runs s' = (& $runs $Result.RefRuns); 'MB/s' = [Math]::Round($mb / ($Result.Ref / 1000), 1); Cipher = $Result.SshCipher }
    )
    Write-Disturbed $Result
    Write-Host ("Throughput ratio (ssh time / SecureConnect time): {0:N2} (target >= {1})`n" -f ($Result.Ref / $Result.Ours), $Target)
}

function Add-CopyResult([string] $Case, $Result, [double] $ThroughputTarget) {
    # As times: SecureConnect / ssh, so a throughput target of 0.8 (80% of ssh's) is a time ratio of 1.25.
    Add-BenchResult -Area 'Tunnel' -Case $Case -Ours $Result.Ours -Reference 'OpenSSH ssh -N -L' -ReferenceValue $Result.Ref -Unit 'ms' -Target ('<= {0:N2}' -f (1 / $ThroughputTarget))
}

$script:key = $null
$script:b1 = $null
try {
    $script:key = New-WorkspaceSshKey
    for ($attempt = 0; ; $attempt++) {
        try { Initialize-BenchLab; break }
        catch {
            if ($attempt -ge $MaxRetries) { throw }
            Write-Host "Preparing the lab failed: $($_.Exception.Message); retrying ($($attempt + 1) of $MaxRetries)."
            Start-Sleep -Seconds 5
        }
    }
    $mbCopied = [Math]::Round($CopyRows * 392 / 1MB)
    Write-Host "Tunnels: SecureConnect against $((& $sshPath -V 2>&1) -join ' ') through the same lab bastion, with the same key and known_hosts; each with its own default cipher order (ssh with -F /dev/null: no ssh_config)."

    # 1. Throughput through one tunnel.
    if ($db.available) {
        $copy = Measure-Copy 'Throughput through one tunnel'
        Write-CopyResult "1. Throughput: psql \copy of $CopyRows rows (~$mbCopied MB CSV, sslmode=require) to a file, through one tunnel to postgresTls; median of $CopyRuns runs each, interleaved, after a $WarmUpRows-row warm-up:" $copy '0.8'
        Add-CopyResult "Throughput: psql \copy of $CopyRows rows (~$mbCopied MB) through one tunnel" $copy 0.8
        $parallel = Measure-ParallelCopy
        Write-CopyResult "1b. $Streams parallel streams: the same rows split over $Streams psql \copy at once through one tunnel (one ssh -L); median of $CopyRuns runs each, interleaved:" $parallel '0.8'
        Add-CopyResult "Throughput: $Streams parallel psql \copy through one tunnel (~$mbCopied MB in all)" $parallel 0.8
    }
    else { Write-Host "1. Throughput: skipped, the lab has no PostgreSQL ($($db.reason)).`n" }

    # 2. The same through one jump host: bastion -> bastion2 -> database.
    if ($db.available -and $b2.available) {
        $jump = Measure-Copy 'Throughput through one jump host' -ViaJump
        Write-CopyResult "2. Through one jump host (bastion -> bastion2 -> postgresTls; ssh with ProxyCommand ssh -W): the same copy, median of $CopyRuns runs each:" $jump '1.0'
        Add-CopyResult 'Throughput through a jump host (ssh: ProxyCommand ssh -W, as -J)' $jump 1.0
    }
    else { Write-Host "2. Jump host: skipped, the lab has no second bastion or no PostgreSQL.`n" }

    if ($redis.available) {
        # 3. Start to first byte: a new tunnel each run, then connect + PING + read +PONG.
        $start = Invoke-BenchCase 'Start to first byte' {
            $ours = [Collections.Generic.List[double]]::new(); $ref = [Collections.Generic.List[double]]::new()
            $ids = [Collections.Generic.HashSet[long]]::new()
            for ($i = -1; $i -lt $StartRuns; $i++) {
                # Run -1 is the warm-up of each. The key line is checked outside the timed part.
                Grant-BenchKey
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $tunnel = Start-BenchTunnel $redis.hostName $redis.port
                try { Send-RedisPing $tunnel.LocalPort; $ms = $sw.Elapsed.TotalMilliseconds }
                finally { $tunnel | Stop-SshTunnel }
                if (-not $ids.Add($tunnel.Id)) { throw "Start-SshTunnel returned tunnel #$($tunnel.Id) again: not a new tunnel." }
                if ($i -ge 0) { $ours.Add($ms) }

                Grant-BenchKey
                $port = Get-FreePort
                $forward = $null
                $sw = [Diagnostics.Stopwatch]::StartNew()
                try {
                    $forward = Start-SshForward $redis.hostName $redis.port $port
                    Send-RedisPing $port
                    $ms = $sw.Elapsed.TotalMilliseconds
                }
                finally { Stop-SshForward $forward }
                if ($i -ge 0) { $ref.Add($ms) }
            }
            [pscustomobject]@{ Ours = (Get-Median $ours); Ref = (Get-Median $ref); OursMin = ($ours | Measure-Object -Minimum).Minimum; RefMin = ($ref | Measure-Object -Minimum).Minimum }
        }
        Write-Table "3. Start to first byte: start a new tunnel, connect, PING, read +PONG from Redis; median of $StartRuns runs each, interleaved, after a warm-up:" @(
            [pscustomobject]@{ Tool = 'SecureConnect Start-SshTunnel'; 'Median ms' = [Math]::Round($start.Ours, 1); 'Min ms' = [Math]::Round($start.OursMin, 1) }
            [pscustomobject]@{ Tool = 'ssh -f -N -L (a new process)'; 'Median ms' = [Math]::Round($start.Ref, 1); 'Min ms' = [Math]::Round($start.RefMin, 1) }
        )
        Write-Disturbed $start
        Write-Host ("Start ratio (SecureConnect time / ssh time): {0:N2} (target <= 1.5)`n" -f ($start.Ours / $start.Ref))
        Add-BenchResult -Area 'Tunnel' -Case 'Start to first byte (new tunnel, Redis PING)' -Ours $start.Ours -Reference 'ssh -f -N -L (a new process)' -ReferenceValue $start.Ref -Unit 'ms' -Target '<= 1.5'

        # 4. Many connections through one tunnel.
        $many = Invoke-BenchCase "$Concurrent connections" {
            $ours = @(); $ref = @()
            for ($i = 0; $i -lt $ManyRuns; $i++) {
                $ours += Measure-ManyThroughTunnel
                $ref += Measure-ManyThroughSsh
            }
            [pscustomobject]@{ Ours = (Get-MedianObject $ours); Ref = (Get-MedianObject $ref) }
        }
        $perConnection = { param($m) ($m.AtConcurrent - $m.AtBaselineWarm) / ($Concurrent - $Baseline) }
        $row = { param($tool, $m) [pscustomobject]@{
                Tool = $tool; 'Before MB' = [Math]::Round($m.Before, 1); "MB at $Baseline" = [Math]::Round($m.AtBaseline, 1); "MB at $Baseline after SET/GET" = [Math]::Round($m.AtBaselineWarm, 1)
                "MB at $Concurrent" = [Math]::Round($m.AtConcurrent, 1); 'MB per extra connection' = [Math]::Round((& $perConnection $m), 3); 'Load s' = [Math]::Round($m.LoadMs / 1000, 2)
            } }
        $title = "4. $Concurrent concurrent connections through one tunnel to Redis: each PINGs, then $RedisRounds x SET + GET of a $($RedisValueBytes / 1KB) KB value" +
            " (all connections in flight at once). SecureConnect: working set (after a GC) of a child pwsh holding the tunnel and the clients;" +
            " ssh: VmRSS of the ssh -N -L process (its clients run in this pwsh). 'Before': the tunnel not started yet (SecureConnect), no connection yet (ssh). Medians of $ManyRuns runs each:"
        Write-Table $title @(
            & $row 'SecureConnect (child pwsh)' $many.Ours
            & $row 'ssh -N -L (reference)' $many.Ref
        )
        Write-Disturbed $many
        Write-Host ("Per extra connection, from $Baseline connections that had done one SET/GET round to $Concurrent that all did (the tunnel counted {0} active): SecureConnect {1:N1} KB, ssh {2:N1} KB.`n" -f $many.Ours.Active, ((& $perConnection $many.Ours) * 1KB), ((& $perConnection $many.Ref) * 1KB))
        Add-BenchResult -Area 'Tunnel' -Case "Memory per extra connection ($Baseline -> $Concurrent Redis connections through one tunnel)" -Ours ((& $perConnection $many.Ours) * 1KB) -Reference 'ssh -N -L (VmRSS)' -ReferenceValue ((& $perConnection $many.Ref) * 1KB) -Unit 'KB'
        Add-BenchResult -Area 'Tunnel' -Case "$Concurrent connections: time of the SET/GET load" -Ours $many.Ours.LoadMs -Reference 'ssh -N -L' -ReferenceValue $many.Ref.LoadMs -Unit 'ms'
    }
    else { Write-Host "3 and 4: skipped, the lab has no Redis ($($redis.reason)).`n" }

    # 5. Cold start: a new process to the first query's answer.
    if ($db.available) {
        $cold = Invoke-BenchCase 'Cold start' { Measure-ColdStart }
        $refMedian = Get-Median $cold.Ref
        $rows = @(foreach ($k in $cold.Times.Keys) {
                [pscustomobject]@{ Process = $k; 'Median ms' = [int](Get-Median $cold.Times[$k]); 'x ssh + psql' = [Math]::Round((Get-Median $cold.Times[$k]) / $refMedian, 2) }
            }) + [pscustomobject]@{ Process = "ssh -f -N -L, then psql -c 'select 1' (sslmode=verify-full)"; 'Median ms' = [int]$refMedian; 'x ssh + psql' = 1 }
        Write-Table "5. Cold start, from a new process to the first query's answer through the bastion; median of $ColdRuns runs each, after a warm-up (times from outside the process):" $rows
        $keys = @($cold.Times.Keys)
        Add-BenchResult -Area 'Cold start' -Case 'New pwsh, Import-Module, first query of a saved integration (tunnel started by it)' -Ours (Get-Median $cold.Times[$keys[2]]) -Reference "new ssh -f -N -L + psql -c 'select 1'" -ReferenceValue $refMedian -Unit 'ms'
        Add-BenchResult -Area 'Cold start' -Case 'Import-Module SecureConnect (pwsh start subtracted)' -Ours ((Get-Median $cold.Times[$keys[1]]) - (Get-Median $cold.Times[$keys[0]])) -Reference 'pwsh -NoProfile start alone' -ReferenceValue (Get-Median $cold.Times[$keys[0]]) -Unit 'ms'
    }
    else { Write-Host "5. Cold start: skipped, the lab has no PostgreSQL ($($db.reason)).`n" }
    Add-BenchCommand 'Tunnel' 'Start-SshTunnel -Bastion <bastion> -User <u> -RemoteHost <db> -RemotePort 5432 [-JumpHost u@bastion] ; psql \copy through 127.0.0.1:<LocalPort>' "ssh -F /dev/null -i <workspace key> -o UserKnownHostsFile=<workspace known_hosts> -f -N -o ExitOnForwardFailure=yes -L 127.0.0.1:<port>:<db>:5432 [-o ProxyCommand='ssh ... -W %h:%p <bastion>'] <bastion>"
    Add-BenchCommand 'Cold start' "pwsh -NoProfile -NonInteractive -Command `"Import-Module SecureConnect; Invoke-SecureQuery -Integration <saved, with -SshBastion> -Credential ... -Query 'select 1 as one' -As Scalar`"" "ssh -f -N -L ... ; psql 'host=<db> hostaddr=127.0.0.1 port=<port> ... sslmode=verify-full sslrootcert=<ca>' -XAtc 'select 1'"
}
finally {
    Get-SshTunnel | Stop-SshTunnel
    Stop-BenchSsh
    Revoke-BenchKey
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
