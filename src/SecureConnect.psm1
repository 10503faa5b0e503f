# SecureConnect loader. The public output types live in SecureConnect.Shared.dll, which loads into the
# default context; SecureConnect.dll and its third-party dependencies load into a private
# AssemblyLoadContext so they never collide with the versions other modules bring (SqlServer, dbatools,
# Posh-SSH ...).
$binPath = [System.IO.Path]::Combine($PSScriptRoot, 'bin')
$sharedPath = [System.IO.Path]::Combine($binPath, 'SecureConnect.Shared.dll')

$shared = [System.AppDomain]::CurrentDomain.GetAssemblies() |
    Where-Object { $_.GetName().Name -eq 'SecureConnect.Shared' -and $_.Location -eq $sharedPath } |
    Select-Object -First 1
if (-not $shared) {
    $shared = [System.Reflection.Assembly]::LoadFrom($sharedPath)
}

$mainAssembly = $shared.GetType('SecureConnect.Shared.LoadContext')::Initialize()
$innerModule = Import-Module -Assembly $mainAssembly -PassThru -ErrorAction Stop

# Remove-Module SecureConnect removes the binary module too, so its cleanup (IModuleAssemblyCleanup)
# stops what the module started in this process.
$ExecutionContext.SessionState.Module.OnRemove = {
    Remove-Module -ModuleInfo $innerModule -ErrorAction SilentlyContinue
}.GetNewClosure()
