# Runs the Pester suite in its own pwsh (started by build.ps1 -Task Test) so the module under test is the
# BUILT one and nothing from the build session leaks in. Writes a small JSON summary for build.ps1.
#
# -Seed N    runs the test files in an order shuffled by N (printed, so a failing order can be run again).
# -FailOnSkip  a skipped test fails the run, unless it is a real-server test gated by SECURECONNECT_TEST_<ENGINE>:
#              a green run means every claim was checked. Skips are printed grouped by their reason.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $ResultPath,
    [string] $Tag,
    [int] $Seed = -1,
    [switch] $FailOnSkip
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force

# The one kind of skip a green run may contain: a test of a real server that cannot run here, enabled by a variable.
$AllowedSkip = '^SECURECONNECT_TEST_[A-Z0-9]+ is not set'

$files = @(Get-ChildItem -Path $TestPath -Filter '*.Tests.ps1' -File | Sort-Object Name | ForEach-Object FullName)
if ($Seed -ge 0) {
    $random = [Random]::new($Seed)
    $files = @($files | Sort-Object { $random.Next() })
    Write-Host "Test files in an order shuffled with seed $Seed (build.ps1 -Task Test -Seed $Seed repeats it):"
    $files | ForEach-Object { Write-Host "  $([IO.Path]::GetFileName($_))" }
}

$global:SecureConnectSkipReasons = @{}
$config = New-PesterConfiguration
$config.Run.Path = $files
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $ResultPath
    $config.TestResult.OutputFormat = 'NUnitXml'
}
if ($Tag) { $config.Filter.Tag = $Tag -split ',' }

$result = Invoke-Pester -Configuration $config

function Get-SkipReason($Test) {
    # Set-ItResult -Skipped -Because X: "is skipped, because X"; -Skip:(Skip-When X) on the test or a block around it.
    foreach ($record in @($Test.ErrorRecord)) {
        if ($record -and $record.Exception.Message -match '^is skipped, because (.+)$') { return $Matches[1] }
    }
    $key = "$($Test.ScriptBlock.File):$($Test.StartLine)"
    if ($global:SecureConnectSkipReasons.ContainsKey($key)) { return $global:SecureConnectSkipReasons[$key] }
    for ($block = $Test.Block; $block; $block = $block.Parent) {
        $key = "$($block.ScriptBlock.File):$($block.StartLine)"
        if ($global:SecureConnectSkipReasons.ContainsKey($key)) { return $global:SecureConnectSkipReasons[$key] }
    }
    'no reason given (-Skip without Skip-When, or Set-ItResult without -Because)'
}

$skips = @(foreach ($test in $result.Skipped) {
        $reason = Get-SkipReason $test
        [pscustomobject]@{ Test = $test.ExpandedPath; Reason = $reason; Allowed = $reason -match $AllowedSkip }
    })
$unexpected = @($skips | Where-Object { -not $_.Allowed })
if ($skips) {
    Write-Host ''
    Write-Host "Skipped tests by reason ($($skips.Count)):"
    foreach ($group in ($skips | Group-Object Reason | Sort-Object Count -Descending)) {
        $verdict = if ($group.Group[0].Allowed) { 'allowed: real-server test' } elseif ($FailOnSkip) { 'FAILS the run' } else { 'not allowed in CI' }
        Write-Host "  $($group.Count) x $($group.Name)  [$verdict]"
        $group.Group | Select-Object -First 5 | ForEach-Object { Write-Host "      $($_.Test)" }
        if ($group.Count -gt 5) { Write-Host "      ... and $($group.Count - 5) more" }
    }
}

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
if ($FailOnSkip -and $unexpected) {
    Write-Host "$($unexpected.Count) test(s) skipped for a reason other than a missing SECURECONNECT_TEST_<ENGINE>: a skip fails the run (-AllowSkip allows it outside CI)." -ForegroundColor Red
    $failed += $unexpected.Count
}
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $skips.Count
    UnexpectedSkips = $unexpected.Count
    NotRun  = $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([Math]::Min($failed, 255))
