#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and demonstrates SecureConnect.

.DESCRIPTION
    One entry point for every job:
      Build  dotnet publish, then assemble output/SecureConnect/<version>/ (psd1, psm1, bin/, en-US/, format file).
      Test   Build, xunit, then Pester against the BUILT module in a child pwsh, with the lab's real servers.
      Lab    Start, stop or show the lab (-LabAction Start|Stop|Status).
      Demo   Build, start the lab, walk through the module as a new user would, stop the lab.
      Bench  Benchmarks, side by side with the reference tools.
      Clean  Remove output/ and the build tools folder.

    Build and test tools (Pester) come from NuGet through a restore-only project into .tools/ inside the
    repository, never from the user's profile or the PowerShell Gallery.

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Lab', 'Demo', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Start', 'Stop', 'Status')]
    [string] $LabAction = 'Start',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tags to run (all when empty).
    [string[]] $Tag = @(),

    # Run the Pester files in a shuffled order (a random seed, printed), or in the order of -Seed.
    [switch] $Shuffle,
    [int] $Seed = -1,

    # Let skipped tests pass the run (never in CI): by default a skip fails it, unless it is a real-server test
    # gated by SECURECONNECT_TEST_<ENGINE>.
    [switch] $AllowSkip,

    # Seconds the soak (tests/Soak.Tests.ps1) injects faults for; 0 keeps its CI default (100 s, or
    # SECURECONNECT_SOAK_SECONDS when set).
    [ValidateRange(0, 604800)]
    [int] $SoakSeconds = 0
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RepoRoot = $PSScriptRoot
$OutputRoot = Join-Path $RepoRoot 'output'
$ToolsRoot = Join-Path $RepoRoot '.tools'
$LabScript = Join-Path $RepoRoot 'tests/lab/lab.sh'
$LabDir = if ($env:SECURECONNECT_LAB_DIR) { $env:SECURECONNECT_LAB_DIR } else { '/tmp/secureconnect-lab' }
$LabEndpoints = Join-Path $LabDir 'endpoints.json'

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

$script:PhaseTimes = [System.Collections.Generic.List[object]]::new()
$script:CurrentPhase = $null
function Start-Phase([string] $Name) {
    # Ends the running phase (if any) and times a new one; Write-PhaseTimes prints them all.
    Stop-Phase
    $script:CurrentPhase = [pscustomobject]@{ Phase = $Name; Watch = [Diagnostics.Stopwatch]::StartNew() }
}
function Stop-Phase {
    if (-not $script:CurrentPhase) { return }
    $script:PhaseTimes.Add([pscustomobject]@{ Phase = $script:CurrentPhase.Phase; Seconds = [Math]::Round($script:CurrentPhase.Watch.Elapsed.TotalSeconds, 1) })
    $script:CurrentPhase = $null
}

function Write-PhaseTimes {
    Stop-Phase
    if ($script:PhaseTimes.Count -eq 0) { return }
    Write-Host ''
    Write-Host 'Time per phase:'
    foreach ($p in $script:PhaseTimes) { Write-Host ('  {0,-12} {1,7:N1} s' -f $p.Phase, $p.Seconds) }
    Write-Host ('  {0,-12} {1,7:N1} s' -f 'total', ($script:PhaseTimes | Measure-Object Seconds -Sum).Sum)
}

function Invoke-Native {
    # Runs a native command and fails the build when it fails.
    param([string] $FilePath, [string[]] $ArgumentList)
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Get-ModuleVersion {
    $props = [xml](Get-Content -Raw (Join-Path $RepoRoot 'Directory.Build.props'))
    $version = $props.Project.PropertyGroup | ForEach-Object { $_.VersionPrefix } | Where-Object { $_ } | Select-Object -First 1
    if (-not $version) { throw 'VersionPrefix is missing from Directory.Build.props.' }
    $version
}

function Get-BuiltModulePath {
    Join-Path $OutputRoot "SecureConnect/$(Get-ModuleVersion)/SecureConnect.psd1"
}

function Get-ChildPwsh {
    # The same PowerShell that runs this script: a native pwsh, or 'dotnet pwsh.dll' for the local tool.
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') {
        return @($processPath)
    }
    return @($processPath, (Join-Path $PSHOME 'pwsh.dll'))
}

function Invoke-ChildPwsh {
    param([string] $File, [string[]] $ArgumentList = @())
    $pwsh = @(Get-ChildPwsh)
    $exe = $pwsh[0]
    $prefix = @($pwsh | Select-Object -Skip 1)
    & $exe @prefix -NoProfile -NonInteractive -File $File @ArgumentList | Out-Host
    $LASTEXITCODE
}

function Restore-Tools {
    $pester = Join-Path $ToolsRoot 'packages/pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $pester)) {
        Write-Step 'Restoring build tools (Pester) from NuGet into .tools/'
        Invoke-Native dotnet @('restore', (Join-Path $RepoRoot 'tests/tools/BuildTools.csproj'), '--packages', (Join-Path $ToolsRoot 'packages'), '--nologo', '-v', 'quiet')
    }
    $pester
}

function Invoke-BuildTask {
    $version = Get-ModuleVersion
    $publish = Join-Path $OutputRoot 'publish'
    $moduleDir = Join-Path $OutputRoot "SecureConnect/$version"

    Write-Step "Building SecureConnect $version ($Configuration)"
    if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
    Invoke-Native dotnet @('publish', (Join-Path $RepoRoot 'src/SecureConnect/SecureConnect.csproj'), '-c', $Configuration, '-o', $publish, '--nologo', '-v', 'quiet')

    if (Test-Path $moduleDir) { Remove-Item -Recurse -Force $moduleDir }
    $bin = New-Item -ItemType Directory -Force (Join-Path $moduleDir 'bin')
    Copy-Item -Recurse -Path (Join-Path $publish '*') -Destination $bin
    # PowerShell's own assemblies always come from the host.
    Get-ChildItem $bin -Filter 'System.Management.Automation*' -Recurse | Remove-Item -Force

    Copy-Item (Join-Path $RepoRoot 'src/SecureConnect.psm1') $moduleDir
    Copy-Item (Join-Path $RepoRoot 'src/SecureConnect.format.ps1xml') $moduleDir
    $helpDir = New-Item -ItemType Directory -Force (Join-Path $moduleDir 'en-US')
    Copy-Item (Join-Path $RepoRoot 'en-US/*.txt') $helpDir

    $manifest = Get-Content -Raw (Join-Path $RepoRoot 'SecureConnect.psd1')
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'"
    Set-Content -Path (Join-Path $moduleDir 'SecureConnect.psd1') -Value $manifest -NoNewline

    $manifestPath = Join-Path $moduleDir 'SecureConnect.psd1'
    # The help is generated in a child pwsh: loading the module here would lock its assemblies.
    $helpExit = Invoke-ChildPwsh -File (Join-Path $RepoRoot 'tests/tools/ConvertTo-MamlHelp.ps1') -ArgumentList @(
        '-ModulePath', $manifestPath,
        '-SourcePath', (Join-Path $RepoRoot 'en-US/SecureConnect.help.psd1'),
        '-OutputPath', (Join-Path $helpDir 'SecureConnect.dll-Help.xml'))
    if ($helpExit -ne 0) { throw 'Generating the cmdlet help failed; see above.' }

    Write-Step "Module: $moduleDir"
    Build-TestDoubles
}

function Build-TestDoubles {
    # The test doubles of servers that cannot run here (tests/<Name>Double, e.g. the MongoDB wire-protocol double), each
    # at a fixed path: output/<Name>Double/<Name>Double.dll.
    $projects = @(Get-ChildItem (Join-Path $RepoRoot 'tests') -Directory -Filter '*Double' | ForEach-Object { Get-ChildItem $_.FullName -Filter '*.csproj' })
    foreach ($project in $projects) {
        Write-Step "Building the test double $($project.BaseName) (tests/$($project.Directory.Name))"
        Invoke-Native dotnet @('build', $project.FullName, '-c', $Configuration, '-o', (Join-Path $OutputRoot $project.BaseName), '--nologo', '-v', 'quiet')
    }
}

function Install-NodeTestPackages {
    # The official Node.js MongoDB driver that checks the double (tests/node), exactly as package-lock.json pins it.
    # Node itself comes from the lab's package list; a failing npm fails the run here, never a silent skip later.
    $nodeDir = Join-Path $RepoRoot 'tests/node'
    if (Test-Path (Join-Path $nodeDir 'node_modules')) { return }
    if (-not (Get-Command npm -ErrorAction SilentlyContinue)) {
        throw "npm is missing, so the Node.js checks in tests/node cannot be installed. Install Node.js (tests/lab/lab.sh install does, as root)."
    }
    Write-Step 'Installing the Node.js test packages (npm ci in tests/node)'
    Push-Location $nodeDir
    try { Invoke-Native npm @('ci', '--no-audit', '--no-fund') }
    finally { Pop-Location }
}

function Invoke-Lab([string] $Action) {
    if (-not (Test-Path $LabScript)) { throw "The lab script '$LabScript' is missing." }
    $bash = Get-Command bash -ErrorAction SilentlyContinue
    if (-not $bash) { throw 'The lab needs bash.' }
    & $bash.Source $LabScript $Action.ToLowerInvariant() | Out-Host
    $LASTEXITCODE
}

function Install-LabRequirements {
    # Installs the Debian packages the lab needs when they are missing (root), or stops with the command that would.
    $exit = Invoke-Lab 'install'
    if ($exit -ne 0) { throw "The lab's programs are missing (exit code $exit); see the message above." }
}

function Get-TrxCounts([string] $Path) {
    $trx = [xml](Get-Content -Raw $Path)
    $counters = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
}

function Invoke-TestTask {
    if ($env:CI -and $AllowSkip) { throw '-AllowSkip is not for CI: a green CI run means every test ran.' }
    Start-Phase 'install'
    Write-Step 'Checking the programs the lab needs'
    Install-LabRequirements
    Install-NodeTestPackages

    Start-Phase 'build'
    Invoke-BuildTask
    $pester = Restore-Tools
    $results = Join-Path $OutputRoot 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    New-Item -ItemType Directory -Force $results | Out-Null

    Start-Phase 'xunit'
    Write-Step 'xunit: tests/SecureConnect.Tests'
    & dotnet test (Join-Path $RepoRoot 'tests/SecureConnect.Tests/SecureConnect.Tests.csproj') -c $Configuration --nologo `
        --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=minimal' --results-directory $results
    $xunitExit = $LASTEXITCODE
    $trxPath = Join-Path $results 'xunit.trx'
    $xunit = if (Test-Path $trxPath) { Get-TrxCounts $trxPath } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
    if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { $xunit.Failed = 1 }

    Start-Phase 'lab start'
    Write-Step 'Starting the lab (real sshd, PostgreSQL, MariaDB, Redis)'
    $labExit = Invoke-Lab 'start'
    if ($labExit -ne 0) { Write-PhaseTimes; throw "The lab did not start (exit code $labExit); see its output above." }
    try {
        Start-Phase 'Pester'
        Write-Step 'Pester: tests/*.Tests.ps1 against the built module, in a child pwsh'
        $summaryPath = Join-Path $results 'pester-summary.json'
        $env:SECURECONNECT_MODULE_PATH = Get-BuiltModulePath
        $env:SECURECONNECT_LAB_ENDPOINTS = $LabEndpoints
        $env:SECURECONNECT_TOOLS = $ToolsRoot
        if ($SoakSeconds -gt 0) { $env:SECURECONNECT_SOAK_SECONDS = "$SoakSeconds" }
        $childArgs = @('-PesterPath', $pester, '-TestPath', (Join-Path $RepoRoot 'tests'), '-SummaryPath', $summaryPath,
            '-ResultPath', (Join-Path $results 'pester.xml'))
        if ($Tag) { $childArgs += @('-Tag', ($Tag -join ',')) }
        $order = if ($Seed -ge 0) { $Seed } elseif ($Shuffle) { Get-Random -Minimum 0 -Maximum 1000000 } else { -1 }
        if ($order -ge 0) { $childArgs += @('-Seed', "$order") }
        if (-not $AllowSkip) { $childArgs += '-FailOnSkip' }
        $pesterExit = Invoke-ChildPwsh -File (Join-Path $RepoRoot 'tests/Invoke-PesterRun.ps1') -ArgumentList $childArgs
        $pesterCounts = if (Test-Path $summaryPath) { Get-Content -Raw $summaryPath | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 } }
        if ($pesterExit -ne 0 -and $pesterCounts.Failed -eq 0) { $pesterCounts.Failed = 1 }
    }
    finally {
        Start-Phase 'lab stop'
        Write-Step 'Stopping the lab'
        Invoke-Lab 'stop' | Out-Null
        Stop-Phase
    }

    $passed = $xunit.Passed + $pesterCounts.Passed
    $failed = $xunit.Failed + $pesterCounts.Failed
    $skipped = $xunit.Skipped + $pesterCounts.Skipped
    Write-PhaseTimes
    Write-Host ''
    Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped"
    Write-Host "Pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed, $($pesterCounts.Skipped) skipped"
    Write-Host "Total: $passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0) {
        exit 1
    }
}

function Invoke-DemoTask {
    Write-Step 'Checking the programs the lab needs'
    Install-LabRequirements
    Invoke-BuildTask
    Write-Step 'Starting the lab'
    $labExit = Invoke-Lab 'start'
    if ($labExit -ne 0) { throw "The lab did not start (exit code $labExit); see its output above." }
    try {
        $env:SECURECONNECT_MODULE_PATH = Get-BuiltModulePath
        $env:SECURECONNECT_LAB_ENDPOINTS = $LabEndpoints
        $demoExit = Invoke-ChildPwsh -File (Join-Path $RepoRoot 'tests/demo/Demo.ps1')
    }
    finally {
        Write-Step 'Stopping the lab'
        Invoke-Lab 'stop' | Out-Null
    }
    if ($demoExit -ne 0) { exit $demoExit }
}

function Invoke-BenchTask {
    Invoke-BuildTask
    # The driver's own limits that rows to objects is measured against (a C# loop, DataAdapter.Fill).
    Write-Step 'Building the benchmark reference tests/bench/DriverLoop'
    Invoke-Native dotnet @('build', (Join-Path $RepoRoot 'tests/bench/DriverLoop/DriverLoop.csproj'), '-c', $Configuration, '-o', (Join-Path $OutputRoot 'DriverLoop'), '--nologo', '-v', 'quiet')
    $env:SECURECONNECT_MODULE_PATH = Get-BuiltModulePath
    $labExit = Invoke-Lab 'start'
    if ($labExit -eq 0) { $env:SECURECONNECT_LAB_ENDPOINTS = $LabEndpoints }
    try {
        $benchExit = Invoke-ChildPwsh -File (Join-Path $RepoRoot 'tests/bench/Bench.ps1')
    }
    finally {
        if ($labExit -eq 0) { Invoke-Lab 'stop' | Out-Null }
    }
    if ($benchExit -ne 0) { exit $benchExit }
}

switch ($Task) {
    'Build' { Invoke-BuildTask }
    'Test' { Invoke-TestTask }
    'Lab' { exit (Invoke-Lab $LabAction) }
    'Demo' { Invoke-DemoTask }
    'Bench' { Invoke-BenchTask }
    'Clean' {
        foreach ($path in @($OutputRoot, $ToolsRoot)) {
            if (Test-Path $path) { Remove-Item -Recurse -Force $path }
        }
        Invoke-Native dotnet @('clean', (Join-Path $RepoRoot 'SecureConnect.sln'), '--nologo', '-v', 'quiet')
    }
}
