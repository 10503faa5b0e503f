# Benchmarks, as ratios against the reference tool measured in the same run (these machines are shared and
# noisy: absolute times mean little). Run by build.ps1 -Task Bench.
$ErrorActionPreference = 'Stop'
Import-Module $env:SECURECONNECT_MODULE_PATH
$work = Join-Path ([IO.Path]::GetTempPath()) ("sc-bench-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $work | Out-Null
$env:SECURECONNECT_HOME = Join-Path $work 'ws'

function Measure-Pair([scriptblock] $Ours, [scriptblock] $Ref, [int] $Count) {
    # Alternates the two so that a burst of load on the shared machine hits both sides, not one; medians of each.
    $ourTimes = [Collections.Generic.List[double]]::new(); $refTimes = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$Count) {
        foreach ($side in @(@($Ours, $ourTimes), @($Ref, $refTimes))) {
            $sw = [Diagnostics.Stopwatch]::StartNew(); & $side[0] | Out-Null; $sw.Stop(); $side[1].Add($sw.Elapsed.TotalMilliseconds)
        }
    }
    $middle = [int][Math]::Floor($Count / 2)
    ($ourTimes | Sort-Object)[$middle], ($refTimes | Sort-Object)[$middle]
}

try {
    if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { Write-Host 'ssh-keygen is not installed: nothing to compare with.'; exit 0 }
    $rows = foreach ($case in @(
            @{ Name = 'Ed25519'; Ours = { New-WorkspaceSshKey -Force }; Ref = { ssh-keygen -q -t ed25519 -N '' -f (Join-Path $work "k$([guid]::NewGuid())") } }
            @{ Name = 'Ed25519 + passphrase (bcrypt, 16 rounds)'; Ours = { New-WorkspaceSshKey -Force -Passphrase (ConvertTo-SecureString 'bench pass' -AsPlainText -Force) }; Ref = { ssh-keygen -q -t ed25519 -a 16 -N 'bench pass' -f (Join-Path $work "k$([guid]::NewGuid())") } }
            @{ Name = 'Rsa 4096'; Runs = 5; Ours = { New-WorkspaceSshKey -Force -Algorithm Rsa }; Ref = { ssh-keygen -q -t rsa -b 4096 -N '' -f (Join-Path $work "k$([guid]::NewGuid())") } }
        )) {
        $count = if ($case['Runs']) { $case['Runs'] } else { 15 }
        & $case.Ours | Out-Null  # warm-up (JIT)
        $ours, $ref = Measure-Pair $case.Ours $case.Ref $count
        [pscustomobject]@{ Case = $case.Name; Runs = $count; 'SecureConnect ms' = [Math]::Round($ours, 1); 'ssh-keygen ms' = [Math]::Round($ref, 1); Ratio = [Math]::Round($ours / $ref, 2) }
    }
    Write-Host 'Key generation: median times; ssh-keygen includes its process start, SecureConnect includes writing the workspace.'
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

# Query streaming: time against psql through the same tunnel, and the peak working set for 100k vs 1M rows
# (flat memory: the ratio should stay near 1). Needs the lab (build.ps1 -Task Bench starts it).
$endpoints = $env:SECURECONNECT_LAB_ENDPOINTS
if (-not $endpoints -or -not (Test-Path $endpoints)) { Write-Host 'The lab is not running: skipping the query benchmarks.'; exit 0 }
$lab = Get-Content -Raw $endpoints | ConvertFrom-Json
$work = Join-Path ([IO.Path]::GetTempPath()) ("sc-bench-q-" + [guid]::NewGuid().ToString('N'))
$env:SECURECONNECT_HOME = $work
try {
    $key = New-WorkspaceSshKey
    Set-Content $lab.bastion.authorizedKeysPath ($key | ConvertTo-AuthorizedKey)
    Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost | Out-Null
    $db = $lab.postgresTls
    $tunnel = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $db.hostName -RemotePort $db.port
    $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$($env:SECURECONNECT_MODULE_PATH)'
`$cred = [pscredential]::new('$($db.user)', (ConvertTo-SecureString `$env:BENCH_PW -AsPlainText -Force))
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$n = Invoke-SecureQuery -Type PostgreSQL -HostName '$($db.hostName)' -Database '$($db.database)' -Credential `$cred -SslMode VerifyFull -CaCertificatePath '$($db.caPath)' -Tunnel (Get-Variable -Name T -ValueOnly) -Query "select g, md5(g::text) as h from generate_series(1, `$env:BENCH_ROWS) g" | Measure-Object | ForEach-Object Count
"`$n `$([int]`$sw.Elapsed.TotalMilliseconds) `$([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64)"
"@
    $rows = foreach ($count in 100000, 1000000) {
        # The child needs its own tunnel object: start one there with the same bastion (it is a new process).
        $script = $child.Replace("(Get-Variable -Name T -ValueOnly)", "(Start-SshTunnel -Bastion '$($lab.bastion.host)' -BastionPort $($lab.bastion.port) -User '$($lab.bastion.user)' -RemoteHost '$($db.hostName)' -RemotePort $($db.port))")
        $cmd = @([Environment]::ProcessPath)
        if ([IO.Path]::GetFileNameWithoutExtension($cmd[0]) -ne 'pwsh') { $cmd += (Join-Path $PSHOME 'pwsh.dll') }
        $env:BENCH_PW = $db.password; $env:BENCH_ROWS = $count
        $out = & $cmd[0] @($cmd | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script
        $n, $ms, $peak = ($out | Select-Object -Last 1) -split ' '
        $env:PGPASSWORD = $db.password
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & psql "host=127.0.0.1 port=$($tunnel.LocalPort) dbname=$($db.database) user=$($db.user) sslmode=require" -XAtc "select g, md5(g::text) as h from generate_series(1, $count) g" > /dev/null
        $psqlMs = $sw.Elapsed.TotalMilliseconds
        [pscustomobject]@{ Rows = [int]$n; 'Invoke-SecureQuery ms' = [int]$ms; 'psql ms' = [int]$psqlMs; 'Time ratio' = [Math]::Round([double]$ms / $psqlMs, 2); 'Peak working set MB' = [Math]::Round([double]$peak / 1MB, 1) }
    }
    Write-Host 'Query streaming through a VerifyFull tunnel (child pwsh; psql through the same bastion):'
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    Write-Host ("Peak working set, 1M rows / 100k rows: {0:N2} (flat memory stays near 1)" -f ($rows[1].'Peak working set MB' / $rows[0].'Peak working set MB'))

    # Export: 1,000,000 rows to a CSV file, Export-SecureQuery against the client tools writing the same file through
    # the same bastion (psql \copy, mariadb --batch), and against Invoke-SecureQuery | Export-Csv. Medians of 3 runs.
    $exportRows = 1000000
    $cred = [pscredential]::new($db.user, (ConvertTo-SecureString $db.password -AsPlainText -Force))
    $pgSql = "select g as n, md5(g::text) as h, (g % 1000) / 7.0 as x from generate_series(1, $exportRows) g"
    $csv = Join-Path $work 'export.csv'
    function Get-Median([double[]] $Values) { $sorted = @($Values | Sort-Object); $sorted[[int][Math]::Floor($sorted.Count / 2)] }
    $env:PGPASSWORD = $db.password
    $pgOurs = @(); $pgPsql = @(); $pgPipeline = @()
    foreach ($i in 1..3) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Export-SecureQuery -Type PostgreSQL -HostName $db.hostName -Database $db.database -Credential $cred -SslMode VerifyFull -CaCertificatePath $db.caPath -Tunnel $tunnel -Query $pgSql -Path $csv -Force | Out-Null
        $pgOurs += $sw.Elapsed.TotalMilliseconds
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & psql "host=127.0.0.1 port=$($tunnel.LocalPort) dbname=$($db.database) user=$($db.user) sslmode=require" -XAtc "\copy ($pgSql) to '$csv.psql' csv header" > /dev/null
        $pgPsql += $sw.Elapsed.TotalMilliseconds
    }
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-SecureQuery -Type PostgreSQL -HostName $db.hostName -Database $db.database -Credential $cred -SslMode VerifyFull -CaCertificatePath $db.caPath -Tunnel $tunnel -Query $pgSql | Export-Csv -Path "$csv.pipeline"
    $pgPipeline += $sw.Elapsed.TotalMilliseconds
    $exportTable = @([pscustomobject]@{
        Engine = 'PostgreSQL'; Rows = $exportRows; 'Export-SecureQuery ms' = [int](Get-Median $pgOurs); 'Reference' = 'psql \copy csv header'
        'Reference ms' = [int](Get-Median $pgPsql); 'Ratio' = [Math]::Round((Get-Median $pgOurs) / (Get-Median $pgPsql), 2)
        'Invoke | Export-Csv ms' = [int]$pgPipeline[0]; 'Identical to Export-Csv' = ((Get-FileHash $csv).Hash -eq (Get-FileHash "$csv.pipeline").Hash)
    })
    if ($lab.mariadb.available -and (Get-Command mariadb -ErrorAction SilentlyContinue)) {
        $my = $lab.mariadb
        $myTunnel = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $my.hostName -RemotePort $my.port
        $mySql = "select seq as n, md5(seq) as h, (seq % 1000) / 7 as x from seq_1_to_$exportRows"
        $myCred = [pscredential]::new($my.user, (ConvertTo-SecureString $my.password -AsPlainText -Force))
        $env:MYSQL_PWD = $my.password
        $myOurs = @(); $myCli = @()
        foreach ($i in 1..3) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            Export-SecureQuery -Type MariaDB -HostName $my.hostName -Database $my.database -Credential $myCred -SslMode VerifyFull -CaCertificatePath $my.caPath -Tunnel $myTunnel -Query $mySql -Path $csv -Force | Out-Null
            $myOurs += $sw.Elapsed.TotalMilliseconds
            $sw = [Diagnostics.Stopwatch]::StartNew()
            & bash -c "mariadb --host=127.0.0.1 --port=$($myTunnel.LocalPort) --user=$($my.user) --ssl --batch -e '$mySql' $($my.database) > '$csv.mariadb'"
            $myCli += $sw.Elapsed.TotalMilliseconds
        }
        $exportTable += [pscustomobject]@{
            Engine = 'MariaDB'; Rows = $exportRows; 'Export-SecureQuery ms' = [int](Get-Median $myOurs); 'Reference' = 'mariadb --batch'
            'Reference ms' = [int](Get-Median $myCli); 'Ratio' = [Math]::Round((Get-Median $myOurs) / (Get-Median $myCli), 2)
            'Invoke | Export-Csv ms' = $null; 'Identical to Export-Csv' = $null
        }
    }
    Write-Host 'Export of 1,000,000 rows to a file through the bastion (VerifyFull; the references through the same bastion), medians of 3:'
    $exportTable | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
}
finally {
    Remove-Item Env:PGPASSWORD, Env:MYSQL_PWD, Env:BENCH_PW, Env:BENCH_ROWS -ErrorAction SilentlyContinue
    Get-SshTunnel | Stop-SshTunnel
    Set-Content $lab.bastion.authorizedKeysPath @()
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
& (Join-Path $PSScriptRoot 'TunnelBench.ps1')
