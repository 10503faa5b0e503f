# Runs the Pester suite in its own pwsh (started by build.ps1 -Task Test) so the module under test is the
# BUILT one and nothing from the build session leaks in. Writes a small JSON summary for build.ps1.
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string] $ResultPath,
    [string] $Tag
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputPath = $ResultPath
    $config.TestResult.OutputFormat = 'NUnitXml'
}
if ($Tag) { $config.Filter.Tag = $Tag -split ',' }

$result = Invoke-Pester -Configuration $config
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -Path $SummaryPath
exit ([Math]::Min($failed, 255))
