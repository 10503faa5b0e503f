# The module as a whole: manifest, load context isolation, import time. The help is tested in Help.Tests.ps1.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:moduleBase = (Get-Module SecureConnect).ModuleBase
    $script:tools = if ($env:SECURECONNECT_TOOLS) { $env:SECURECONNECT_TOOLS } else { Join-Path $PSScriptRoot '../.tools' }
}

Describe 'Module manifest and layout' {
    It 'requires PowerShell 7.4 Core and exports exactly the cmdlets it implements' {
        $manifest = Import-PowerShellDataFile (Join-Path $moduleBase 'SecureConnect.psd1')
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $implemented = (Get-Module SecureConnect).ExportedCmdlets.Keys | Sort-Object
        $manifest.CmdletsToExport | Sort-Object | Should -Be $implemented
        $implemented | Should -Contain 'New-WorkspaceSshKey'
    }

    It 'ships no PowerShell assembly and keeps public types in the shared assembly without third-party references' {
        Get-ChildItem (Join-Path $moduleBase 'bin') -Recurse -Filter 'System.Management.Automation.dll' | Should -BeNullOrEmpty
        $shared = [SecureConnect.WorkspaceSshKey].Assembly
        $shared.GetName().Name | Should -Be 'SecureConnect.Shared'
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($shared) | Should -Be ([System.Runtime.Loader.AssemblyLoadContext]::Default)
        $references = $shared.GetReferencedAssemblies().Name
        # Newtonsoft.Json is PowerShell's own (ConvertTo-Json's serializer): referenced for [JsonConverter] on the output
        # enums, never shipped, so it binds to the copy PowerShell loads.
        $references | Where-Object { $_ -notmatch '^(System|Microsoft\.Win32|netstandard|mscorlib|Newtonsoft\.Json$)' } | Should -BeNullOrEmpty
        Get-ChildItem $moduleBase -Recurse -Filter 'Newtonsoft.Json.dll' | Should -BeNullOrEmpty
    }

    It 'loads SecureConnect.dll into its own load context' {
        $main = (Get-Command New-WorkspaceSshKey).ImplementingType.Assembly
        $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($main)
        $context.Name | Should -Be 'SecureConnect'
        $context | Should -Not -Be ([System.Runtime.Loader.AssemblyLoadContext]::Default)
    }

    It 'imports without loading any dependency or doing work: only SecureConnect itself enters its load context' {
        # What keeps Import-Module fast, checked as behaviour rather than by a clock (the machines are shared and a
        # timed assertion fails under load): no driver, SSH or crypto library is loaded until a cmdlet needs it. The
        # time itself is measured by build.ps1 -Task Bench (cold start: Import-Module against pwsh's own start).
        $result = Invoke-ChildPwsh -Script @'
Import-Module $env:SECURECONNECT_MODULE_PATH
$null = Get-Command -Module SecureConnect
$null = Get-Help New-WorkspaceSshKey
$context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'SecureConnect'
($context.Assemblies | ForEach-Object { $_.GetName().Name } | Sort-Object) -join ','
'@
        $result.ExitCode | Should -Be 0 -Because $result.Error
        ($result.Output.Trim() -split "`n" | Select-Object -Last 1).Trim() | Should -Be 'SecureConnect'
    }
}

Describe 'Private load context' {
    It 'works when other versions of its dependencies are already loaded in the default context' {
        $bc = Join-Path $tools 'packages/bouncycastle.cryptography/2.4.0/lib/net6.0/BouncyCastle.Cryptography.dll'
        $npgsql = Join-Path $tools 'packages/npgsql/8.0.5/lib/net8.0/Npgsql.dll'
        Test-Path $bc | Should -BeTrue -Because 'build.ps1 restores BouncyCastle 2.4.0 for this test'
        Test-Path $npgsql | Should -BeTrue -Because 'build.ps1 restores Npgsql 8.0.5 for this test'

        $script = @'
$ErrorActionPreference = 'Stop'
# What another module (Posh-SSH, dbatools, SqlServer) would have done first: load its own versions.
$otherBc = [Reflection.Assembly]::LoadFrom($env:OTHER_BC)
$otherNpgsql = [Reflection.Assembly]::LoadFrom($env:OTHER_NPGSQL)
Import-Module $env:SECURECONNECT_MODULE_PATH
$env:SECURECONNECT_HOME = Join-Path ([IO.Path]::GetTempPath()) ('sc-alc-' + [guid]::NewGuid().ToString('N'))
try {
    $key = New-WorkspaceSshKey
    $alc = [Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'SecureConnect'
    $ourBc = $alc.Assemblies | Where-Object { $_.GetName().Name -eq 'BouncyCastle.Cryptography' }
    $ourNpgsql = $alc.LoadFromAssemblyName([Reflection.AssemblyName]::new('Npgsql'))
    $builder = [Activator]::CreateInstance($ourNpgsql.GetType('Npgsql.NpgsqlConnectionStringBuilder'))
    $builder['Host'] = 'db.example'
    $sqlClient = $alc.LoadFromAssemblyName([Reflection.AssemblyName]::new('Microsoft.Data.SqlClient'))
    $connection = [Activator]::CreateInstance($sqlClient.GetType('Microsoft.Data.SqlClient.SqlConnection'))
    [pscustomobject]@{
        Fingerprint      = $key.Fingerprint
        # BouncyCastle keeps AssemblyVersion 2.0.0.0 across releases: the file version tells them apart.
        DefaultBc        = [Diagnostics.FileVersionInfo]::GetVersionInfo($otherBc.Location).FileVersion
        OurBc            = [Diagnostics.FileVersionInfo]::GetVersionInfo($ourBc.Location).FileVersion
        OurBcContext     = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($ourBc).Name
        DefaultNpgsql    = $otherNpgsql.GetName().Version.ToString()
        OurNpgsql        = $ourNpgsql.GetName().Version.ToString()
        OurNpgsqlContext = [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($ourNpgsql).Name
        Builder          = $builder.ConnectionString
        SqlClientType    = $connection.GetType().FullName
        SqlClientPath    = $sqlClient.Location
    } | ConvertTo-Json -Compress
}
finally { Remove-Item -Recurse -Force $env:SECURECONNECT_HOME -ErrorAction SilentlyContinue }
'@
        $result = Invoke-ChildPwsh -Script $script -Environment @{ OTHER_BC = $bc; OTHER_NPGSQL = $npgsql }
        $result.ExitCode | Should -Be 0 -Because $result.Error
        $r = $result.Output.Trim() -split "`n" | Select-Object -Last 1 | ConvertFrom-Json

        $r.Fingerprint | Should -Match '^SHA256:'
        $r.DefaultBc | Should -BeLike '2.4.*'
        $r.OurBc | Should -BeLike '2.7.*'
        $r.OurBcContext | Should -Be 'SecureConnect'
        $r.DefaultNpgsql | Should -BeLike '8.0.*'
        $r.OurNpgsql | Should -BeLike '10.0.*'
        $r.OurNpgsqlContext | Should -Be 'SecureConnect'
        $r.Builder | Should -Be 'Host=db.example'
        $r.SqlClientType | Should -Be 'Microsoft.Data.SqlClient.SqlConnection'
        if (-not $IsWindows) { $r.SqlClientPath | Should -Match '[\\/]runtimes[\\/]unix[\\/]' -Because 'the deps.json resolver must pick the real Unix SqlClient, not the placeholder' }
    }
}
