# Benchmarks, as ratios against the reference tool measured in the same run (these machines are shared and
# noisy: absolute times mean little). Run by build.ps1 -Task Bench.
$ErrorActionPreference = 'Stop'
Import-Module $env:SECURECONNECT_MODULE_PATH
$work = Join-Path ([IO.Path]::GetTempPath()) ("sc-bench-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $work | Out-Null
$env:SECURECONNECT_HOME = Join-Path $work 'ws'

function Measure-Median([scriptblock] $Block, [int] $Count) {
    $times = foreach ($i in 1..$Count) {
        $sw = [Diagnostics.Stopwatch]::StartNew(); & $Block | Out-Null; $sw.Stop(); $sw.Elapsed.TotalMilliseconds
    }
    ($times | Sort-Object)[[int][Math]::Floor($Count / 2)]
}

try {
    if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { Write-Host 'ssh-keygen is not installed: nothing to compare with.'; exit 0 }
    $rows = foreach ($case in @(
            @{ Name = 'Ed25519'; Ours = { New-WorkspaceSshKey -Force }; Ref = { ssh-keygen -q -t ed25519 -N '' -f (Join-Path $work "k$([guid]::NewGuid())") } }
            @{ Name = 'Ed25519 + passphrase (bcrypt, 16 rounds)'; Ours = { New-WorkspaceSshKey -Force -Passphrase (ConvertTo-SecureString 'bench pass' -AsPlainText -Force) }; Ref = { ssh-keygen -q -t ed25519 -a 16 -N 'bench pass' -f (Join-Path $work "k$([guid]::NewGuid())") } }
            @{ Name = 'Rsa 4096'; Count = 3; Ours = { New-WorkspaceSshKey -Force -Algorithm Rsa }; Ref = { ssh-keygen -q -t rsa -b 4096 -N '' -f (Join-Path $work "k$([guid]::NewGuid())") } }
        )) {
        $count = if ($case.Count) { $case.Count } else { 15 }
        & $case.Ours | Out-Null  # warm-up (JIT)
        $ours = Measure-Median $case.Ours $count
        $ref = Measure-Median $case.Ref $count
        [pscustomobject]@{ Case = $case.Name; Runs = $count; 'SecureConnect ms' = [Math]::Round($ours, 1); 'ssh-keygen ms' = [Math]::Round($ref, 1); Ratio = [Math]::Round($ours / $ref, 2) }
    }
    Write-Host 'Key generation: median times; ssh-keygen includes its process start, SecureConnect includes writing the workspace.'
    $rows | Format-Table -AutoSize | Out-Host
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
