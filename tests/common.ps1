# Dot-sourced by every *.Tests.ps1 (in BeforeAll): imports the BUILT module once and gives the tests the lab.
$ErrorActionPreference = 'Stop'

if (-not $env:SECURECONNECT_MODULE_PATH) {
    $version = ([xml](Get-Content -Raw (Join-Path $PSScriptRoot '../Directory.Build.props'))).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
    $env:SECURECONNECT_MODULE_PATH = Join-Path $PSScriptRoot "../output/SecureConnect/$version/SecureConnect.psd1"
}
if (-not (Get-Module SecureConnect)) {
    Import-Module $env:SECURECONNECT_MODULE_PATH -Force
}

function Skip-When([string[]] $Reason) {
    # For -Skip:(Skip-When $NoLab): true when there is a reason, which Invoke-PesterRun.ps1 prints and (in CI) fails
    # the run on. The reason is keyed by the file and line of the It/Describe that asked, because Pester keeps none.
    $first = @($Reason | Where-Object { $_ }) | Select-Object -First 1
    if (-not $first) { return $false }
    if ($null -eq $global:SecureConnectSkipReasons) { $global:SecureConnectSkipReasons = @{} }
    $global:SecureConnectSkipReasons["$($MyInvocation.ScriptName):$($MyInvocation.ScriptLineNumber)"] = $first
    $true
}

function Get-LabEndpoints {
    # The lab's endpoints, or $null when the lab is not running (tests that need it skip with that reason).
    $path = if ($env:SECURECONNECT_LAB_ENDPOINTS) { $env:SECURECONNECT_LAB_ENDPOINTS } else { '/tmp/secureconnect-lab/endpoints.json' }
    if (-not (Test-Path $path)) { return $null }
    Get-Content -Raw $path | ConvertFrom-Json
}

function New-TestWorkspace {
    # A fresh, empty workspace for one test; SECURECONNECT_HOME is read on every cmdlet call.
    $path = Join-Path ([IO.Path]::GetTempPath()) ("sc-test-" + [guid]::NewGuid().ToString('N'))
    $env:SECURECONNECT_HOME = $path
    $path
}

function Get-UnixMode([string] $Path) {
    # The permission bits as octal text, e.g. '600'.
    [Convert]::ToString([int][IO.File]::GetUnixFileMode($Path), 8)
}

function ConvertTo-SecureText([string] $Text) {
    ConvertTo-SecureString -String $Text -AsPlainText -Force
}

function Get-ChildPwshCommand {
    # How to start another pwsh like this one: a native pwsh, or 'dotnet pwsh.dll' for the local tool.
    $processPath = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') { return , @($processPath) }
    , @($processPath, (Join-Path $PSHOME 'pwsh.dll'))
}

function Start-ChildPwsh([string] $Script, [hashtable] $Environment = @{}) {
    # Starts a separate pwsh process running $Script; returns the Process (stdout/stderr redirected).
    $command = Get-ChildPwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($arg in ($command | Select-Object -Skip 1)) { $psi.ArgumentList.Add($arg) }
    foreach ($arg in '-NoProfile', '-NonInteractive', '-Command', $Script) { $psi.ArgumentList.Add($arg) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($name in $Environment.Keys) { $psi.Environment[$name] = [string]$Environment[$name] }
    [System.Diagnostics.Process]::Start($psi)
}

function Invoke-ChildPwsh([string] $Script, [hashtable] $Environment = @{}, [int] $TimeoutSeconds = 120) {
    # Runs $Script in a separate pwsh and returns its output and exit code.
    $process = Start-ChildPwsh -Script $Script -Environment $Environment
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "The child pwsh did not finish within $TimeoutSeconds s."
    }
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
}

# Shared by the suites that work through the lab bastion.
function Get-ErrorRecord([scriptblock] $Script) {
    try { & $Script | Out-Null; $null } catch { $_ }
}

function New-LabCredential($Db, [string] $Password = $Db.password) {
    [pscredential]::new($Db.user, (ConvertTo-SecureString $Password -AsPlainText -Force))
}

function Initialize-LabWorkspace {
    # A fresh workspace whose key the bastion accepts and whose known_hosts trusts the bastion.
    $script:ws = New-TestWorkspace
    $key = New-WorkspaceSshKey
    Set-Content -Path $lab.bastion.authorizedKeysPath -Value ($key | ConvertTo-AuthorizedKey)
    Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost | Out-Null
    $script:ssh = @{ SshBastion = "$($lab.bastion.host):$($lab.bastion.port)"; SshUser = $lab.bastion.user }
}

function Remove-LabWorkspace {
    # A failing Stop-SshTunnel still fails the block, after the rest of the cleanup.
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
        if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }
    }
}

function Invoke-Native([string] $FilePath, [string[]] $Arguments, [int] $TimeoutSeconds = 60) {
    # Runs a native tool with a hard deadline (killed when it passes); stdin is closed.
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $p = [System.Diagnostics.Process]::Start($psi)
    $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    $timedOut = -not $p.WaitForExit($TimeoutSeconds * 1000)
    if ($timedOut) { $p.Kill($true); $p.WaitForExit(5000) | Out-Null } else { $p.WaitForExit() }
    $sw.Stop()
    [pscustomobject]@{
        ExitCode = if ($timedOut) { $null } else { $p.ExitCode }
        TimedOut = $timedOut
        Output   = $out.Result
        Error    = $err.Result
        Seconds  = $sw.Elapsed.TotalSeconds
    }
}

function Get-FreePort {
    # A port nobody listens on: bound by the kernel, then released.
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Set-AuthorizedKeys([string[]] $Lines) {
    # The lab's sshd reads this file on every login.
    Set-Content -Path $lab.bastion.authorizedKeysPath -Value $Lines
}

function Wait-Until([scriptblock] $Condition, [double] $TimeoutSeconds, [int] $IntervalMs = 200) {
    # Polls until the condition holds (true) or the bounded wait runs out (false): for state, never a fixed sleep.
    # (A name no condition uses: the condition runs in a scope below this one and would see a plain $deadline.)
    $waitUntilDeadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        if (& $Condition) { return $true }
        if ([DateTime]::UtcNow -ge $waitUntilDeadline) { return $false }
        Start-Sleep -Milliseconds $IntervalMs
    }
}

function Invoke-LabScript([string[]] $Arguments, [hashtable] $Environment = @{}, [string] $AsUser) {
    # Runs tests/lab/lab.sh (optionally as another user, with extra environment) and returns its exit code and output.
    $prefix = if ($AsUser) { @('runuser', '-u', $AsUser, '--') } else { @() }
    $envArgs = @($Environment.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" })
    $argv = $prefix + @('env') + $envArgs + @((Get-Command bash).Source, (Join-Path $PSScriptRoot 'lab/lab.sh')) + $Arguments
    Invoke-Native -FilePath $argv[0] -Arguments @($argv | Select-Object -Skip 1) -TimeoutSeconds 90
}

function Invoke-Lab([string[]] $Arguments) {
    # A lab action a test needs to succeed (link down/up, restart-sshd, rotate/restore the host key).
    $r = Invoke-LabScript $Arguments
    if ($r.ExitCode -ne 0) { throw "lab.sh $($Arguments -join ' ') failed ($($r.ExitCode)): $($r.Error)" }
}

function Start-TestDouble([string] $Name, [string[]] $Arguments, [string] $Address = '127.0.0.1', [int] $Port = 0, [string] $Namespace) {
    # A TEST DOUBLE of a server that cannot run here (tests/<Name>Double, built by -Task Build into output/<Name>Double),
    # in $Namespace when given; stdin held open (it stops when stdin closes). Returns once it says where it listens.
    $dll = Join-Path (Split-Path $PSScriptRoot -Parent) "output/${Name}Double/${Name}Double.dll"
    if (-not (Test-Path $dll)) { throw "The $Name double is not built ($dll): run build.ps1 -Task Build." }
    $command = @('dotnet', $dll, '--address', $Address, '--port', "$Port") + $Arguments
    if ($Namespace) { $command = @('ip', 'netns', 'exec', $Namespace) + $command }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in $command | Select-Object -Skip 1) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    # Read stderr from the start, or a full pipe would stall the double.
    $stderr = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait(60000) -or $line.Result -notmatch "^listening $([regex]::Escape($Address)) (\d+)$") {
        $process.Kill($true)
        throw "The $Name double did not say where it listens (first line: '$($line.Result)'): $($stderr.Result)"
    }
    [pscustomobject]@{ Process = $process; Port = [int]$Matches[1]; Line = $line.Result; Stderr = $stderr }
}

function Stop-TestDouble($Double) {
    # Closing stdin is the double's own way to stop; the PID is the fallback.
    if (-not $Double -or $Double.Process.HasExited) { return }
    $Double.Process.StandardInput.Close()
    if (-not $Double.Process.WaitForExit(10000)) { Stop-Process -Id $Double.Process.Id -Force }
}

function Start-MongoDouble([string[]] $Arguments, [string] $Address = '127.0.0.1', [int] $Port = 0, [string] $Namespace) {
    # The MongoDB wire-protocol TEST DOUBLE (tests/MongoDouble); it logs a line per command on stderr.
    Start-TestDouble Mongo $Arguments $Address $Port $Namespace
}

function Stop-MongoDouble($Double) { Stop-TestDouble $Double }
