# The help: every cmdlet documented; what Get-Help says about each parameter is what the cmdlet's metadata says; the
# examples marked Lab = $true in en-US/SecureConnect.help.psd1 run against the lab as written; the about topics cover
# their points; docs/ (the online help, HelpUri) is what tests/tools/ConvertTo-MarkdownHelp.ps1 makes from the help now.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $Cmdlets = @((Get-Module SecureConnect).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
    $source = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../en-US/SecureConnect.help.psd1')
    $LabExamples = @(foreach ($name in $source.Keys | Sort-Object) {
            foreach ($example in $source[$name].Examples) {
                if ($example['Lab']) { @{ Cmdlet = $name; Title = $example.Title; Code = $example.Code } }
            }
        })
    $NoLab = if (-not (Get-LabEndpoints)) { 'the lab is not running (tests/lab/lab.sh start)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:source = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../en-US/SecureConnect.help.psd1')
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

    function Get-ExpectedTypeName([type] $Type) {
        $underlying = [Nullable]::GetUnderlyingType($Type)
        if ($underlying) { $Type = $underlying }
        if ($Type.IsArray) { return (Get-ExpectedTypeName $Type.GetElementType()) + '[]' }
        $Type.FullName
    }

    function Get-ExpectedPerSet($Parameter, [scriptblock] $Value) {
        $pairs = @($Parameter.ParameterSets.GetEnumerator() | Sort-Object Key | ForEach-Object { [pscustomobject]@{ Set = $_.Key; Text = [string](& $Value $_.Value) } })
        $distinct = @($pairs.Text | Select-Object -Unique)
        if ($distinct.Count -eq 1) { return $distinct[0] }
        ($pairs | ForEach-Object { "$($_.Text) ($($_.Set))" }) -join '; '
    }
    function Get-CodeProblem([string] $Code) {
        # Parse errors, and parameters that no SecureConnect cmdlet named in the code has (names, aliases and unique
        # prefixes count, as PowerShell binds them): an example or a README line that has drifted from the cmdlets.
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$errors)
        foreach ($e in $errors) { "parse error: $($e.Message)" }
        $ours = (Get-Module SecureConnect).ExportedCmdlets
        foreach ($call in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
            $name = $call.GetCommandName()
            if (-not $name -or -not $ours.ContainsKey($name)) { continue }
            $parameters = (Get-Command $name).Parameters.Values
            foreach ($p in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                $given = $p.ParameterName
                $exact = @($parameters | Where-Object { $_.Name -eq $given -or $_.Aliases -contains $given })
                $prefix = @($parameters | Where-Object { $_.Name -like "$given*" })
                if (-not $exact -and $prefix.Count -ne 1) { "$name has no parameter -$given" }
            }
        }
    }

}

Describe 'Help' {
    It 'documents <Name>: synopsis, description, every parameter, INPUTS, OUTPUTS, two examples, one a pipeline' -TestCases $Cmdlets {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name"
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterOrEqual 2 -Because "$Name needs at least two examples"
        @($examples | Where-Object { $_.Code -match '\|\s*[A-Z][a-z]+-[A-Za-z]+' }).Count | Should -BeGreaterThan 0 -Because "one example of $Name must be a pipeline"
        foreach ($parameter in (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $doc = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            ($doc.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }
        @($help.inputTypes.inputType.type.name | Where-Object { $_ }).Count | Should -BeGreaterThan 0
        @($help.returnValues.returnValue.type.name | Where-Object { $_ }).Count | Should -BeGreaterThan 0
    }

    It 'lists as INPUTS of <Name> every type that binds by value, and as OUTPUTS its [OutputType]' -TestCases $Cmdlets {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $inputs = @($help.inputTypes.inputType.type.name)
        foreach ($p in $command.Parameters.Values | Where-Object { $_.Name -notin $common }) {
            if ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline }) {
                $type = $p.ParameterType
                if ($type.IsArray) { $type = $type.GetElementType() }
                $inputs | Should -Contain $type.FullName -Because "-$($p.Name) binds by value"
            }
        }
        $declared = @($command.OutputType.Name | Where-Object { $_ -ne 'System.Void' } | Select-Object -Unique)
        $outputs = @($help.returnValues.returnValue.type.name)
        if ($declared) { $outputs | Should -Be $declared } else { $outputs | Should -Be @('None') }
    }

    It 'points <Name> at its online page, built from the one docs base URI' -TestCases $Cmdlets {
        # The base is set once, in HelpUris.cs; every HelpUri is that base + cmdlets/<Name>.md.
        $helpUris = Get-Content -Raw (Join-Path $PSScriptRoot '../src/SecureConnect/Common/HelpUris.cs')
        $base = [regex]::Match($helpUris, 'DocsBase = "(https://[^"]+/)"').Groups[1].Value
        $base | Should -Not -BeNullOrEmpty
        $command = Get-Command $Name
        $command.HelpUri | Should -Be "$($base)cmdlets/$Name.md"
        $online = @((Get-Help $Name -Full).relatedLinks.navigationLink | Where-Object linkText -eq 'Online Version:')
        $online.uri | Should -Be $command.HelpUri
        (Get-Content -Raw (Join-Path $PSScriptRoot "../docs/cmdlets/$Name.md")) | Should -Match ([regex]::Escape("Online version: <$($command.HelpUri)>"))
    }

    It 'has prose without the apostrophes missing, and no example that writes to the lab' {
        $text = Get-Content -Raw (Join-Path $PSScriptRoot '../en-US/SecureConnect.help.psd1')
        foreach ($wrong in 'servers host', 'engines usual', 'processs', 'sessions credential', 'workspaces ca/', 'integrations user', 'bastions host key') {
            $text | Should -Not -Match ([regex]::Escape($wrong))
        }
        foreach ($name in $source.Keys) {
            foreach ($example in $source[$name].Examples) {
                $example.Code | Should -Not -Match 'secureconnect-lab|sclab|/tmp/' -Because "the example '$($example.Title)' of $name must be what a sysadmin types"
            }
        }
    }

    It 'has a README with a quick start to a VerifyFull query through a bastion exported to CSV, and a line per cmdlet' {
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../README.md')
        $start = $readme.IndexOf('## Quick start')
        $start | Should -BeGreaterThan 0
        $quickStart = $readme.Substring($start, $readme.IndexOf("`n## ", $start + 5) - $start)
        foreach ($step in 'New-WorkspaceSshKey', 'ConvertTo-AuthorizedKey', 'Add-SshKnownHost', '-SslMode VerifyFull', '-SshBastion', 'Export-SecureQuery', '.csv') {
            $quickStart | Should -Match ([regex]::Escape($step))
        }
        foreach ($name in (Get-Module SecureConnect).ExportedCmdlets.Keys) {
            $readme | Should -Match ("(?m)^\| \[``$name``\]\(docs/cmdlets/$name\.md\) \| [^|\n]+ \|$") -Because "the README's table needs one line for $name"
        }
        foreach ($engine in 'PostgreSQL', 'Redshift', 'MySQL', 'MariaDB', 'MindsDB', 'SqlServer', 'ClickHouse', 'MongoDB', 'Trino', 'Dremio') {
            $readme | Should -Match "(?m)^\| ``$engine`` \|" -Because "the engines table needs a row for $engine, saying how it is verified"
        }
    }

    It 'has examples and README code that parse and name only parameters the cmdlets have' {
        $problems = foreach ($name in $source.Keys | Sort-Object) {
            foreach ($example in $source[$name].Examples) {
                Get-CodeProblem $example.Code | ForEach-Object { "$($name): $($example.Title): $_" }
            }
        }
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../README.md')
        $blocks = [regex]::Matches($readme, '(?s)```powershell\r?\n(.*?)```')
        $blocks.Count | Should -BeGreaterThan 3
        $problems += foreach ($block in $blocks) { Get-CodeProblem $block.Groups[1].Value | ForEach-Object { "README: $_" } }
        $problems | Should -BeNullOrEmpty
    }

    It 'lists every other example with the reason it cannot run here' {
        # Examples that are not marked Lab = $true, and why. A new example is either runnable (Lab = $true) or listed.
        $reasons = @{
            'Add-SshKnownHost: Trust what the server presents'                                  = 'names a real host (bastion.example.com)'
            'Add-SshKnownHost: Import the keys a team already trusts'                           = 'reads the user''s own ~/.ssh/known_hosts'
            'ConvertTo-AuthorizedKey: Authorize the workspace key for one database'             = 'logs in to a real bastion with ssh'
            'ConvertTo-FirewallRule: pg_hba.conf lines for the observed address'                = 'writes the database server''s own pg_hba.conf ($pgdata)'
            'ConvertTo-FirewallRule: An AWS security group'                                     = 'needs the aws CLI and an AWS account'
            'Export-SecureQuery: A query to CSV, as Export-Csv would write it'                  = 'the lab database has no orders table'
            'Export-SecureQuery: JSON Lines for a data pipeline, replacing yesterday''s file'   = 'needs MongoDB (only a test double here: tests/MongoDouble.Tests.ps1)'
            'Export-SecureQuery: A MongoDB collection to CSV'                                   = 'needs MongoDB (only a test double here: tests/MongoDouble.Tests.ps1)'
            'Export-SecureQuery: Semicolons, quotes only where needed, UTF-8 with a byte order mark (for Excel)' = 'the lab database has no customers table'
            'Get-SshKnownHost: One bastion on port 2222'                                        = 'names a real host (bastion.example.com)'
            'Get-SshServerKey: See and trust a bastion''s key'                                  = 'names a real host (bastion.example.com)'
            'Get-SshTunnel: Why is a tunnel not up?'                                            = 'needs a tunnel named reporting'
            'Get-WorkspaceSshKey: Only the public key line'                                     = 'needs a clipboard (Set-Clipboard)'
            'Import-WorkspaceSshKey: Adopt the key a team already uses'                         = 'reads the user''s own ~/.ssh/id_ed25519'
            'Import-WorkspaceSshKey: An encrypted PEM key'                                      = 'prompts (Read-Host)'
            'Import-WorkspaceSshKey: From the pipeline, replacing the current key'              = 'reads the user''s own ~/.ssh/id_ed25519'
            'Invoke-SecureQuery: Dremio: a query streamed to CSV'                               = 'needs Dremio (only the Arrow Flight double here: tests/Dremio.Tests.ps1)'
            'Invoke-SecureQuery: Dremio ad hoc with a personal access token'                    = 'needs a SecretManagement vault (Get-Secret) and Dremio'
            'Invoke-SecureQuery: MongoDB: open orders, newest first'                            = 'needs MongoDB (only a test double here)'
            'Invoke-SecureQuery: MongoDB: an aggregation as a database command'                 = 'needs MongoDB (only a test double here)'
            'Invoke-SecureQuery: MongoDB: one document by ObjectId'                             = 'needs MongoDB (only a test double here)'
            'Invoke-SecureQuery: ClickHouse with a typed query parameter'                       = 'needs a ClickHouse integration named events with a hits table'
            'Invoke-SecureQuery: Trino: a parameterized query, the first rows only'             = 'needs Trino (only a test double here: tests/TrinoDouble.Tests.ps1)'
            'Invoke-SecureQuery: Rows to CSV'                                                   = 'the lab database has no customers table'
            'Invoke-SecureQuery: A scalar'                                                      = 'the lab database has no customers table'
            'Invoke-SecureQuery: A list of ids on PostgreSQL'                                   = 'the lab database has no orders table'
            'New-SecureIntegration: A saved SSH tunnel to an MLflow server'                     = 'names real hosts (mlflow.internal, bastion.example.com)'
            'New-SecureIntegration: A saved tunnel to Redis through a jump host, and how to use it' = 'names real hosts (redis.internal, edge.example.com)'
            'New-SecureIntegration: Dremio behind a bastion, strict TLS, user and password'     = 'prompts (Get-Credential) and names real hosts'
            'New-SecureIntegration: Dremio with a personal access token from a vault'           = 'needs a SecretManagement vault and names a real host'
            'New-SecureIntegration: MongoDB behind a bastion, strict TLS'                       = 'prompts (Get-Credential) and names real hosts'
            'New-SecureIntegration: A private PostgreSQL behind a bastion, strict TLS'          = 'prompts (Get-Credential) and names real hosts'
            'New-SecureIntegration: Trino behind a bastion, strict TLS, with its session'       = 'prompts (Get-Credential) and names real hosts'
            'New-SecureIntegration: MySQL with the password in a vault'                         = 'needs a SecretManagement vault and names a real host'
            'New-WorkspaceSshKey: Create the workspace key'                                     = 'the lab workspace has its key already (WorkspaceKeyExists); ''Rotate the key'' runs'
            'New-WorkspaceSshKey: An encrypted RSA key'                                         = 'prompts (Read-Host)'
            'Unlock-WorkspaceSshKey: Unlock the key in a runbook, then query through the bastion' = 'needs a SecretManagement vault (Get-Secret) and an encrypted workspace key'
            'Unlock-WorkspaceSshKey: Unlock interactively, and lock again when done'           = 'prompts (Read-Host)'
            'Lock-WorkspaceSshKey: Forget the passphrase at the end of a runbook'              = 'needs a SecretManagement vault (Get-Secret)'
            'Remove-SshKnownHost: Replace a bastion''s key after a planned rebuild'             = 'names a real host (bastion.example.com)'
            'Start-SshTunnel: A tunnel to a private PostgreSQL'                                 = 'names real hosts and runs psql'
            'Start-SshTunnel: Any TCP service, exposed as environment variables'                = 'names real hosts and runs redis-cli'
            'Start-SshTunnel: Through a jump host, trusting new hosts on first use'             = 'names real hosts'
            'Start-SshTunnel: A saved SSH Tunnel integration, used through its variables'       = 'needs the SshTunnel integration ''My SSH tunnel'' to an MLflow server'
            'Start-SshTunnel: From the pipeline, or a database''s tunnel for psql'              = 'needs the SshTunnel integration ''My SSH tunnel'' and runs psql'
        }
        $unlisted = foreach ($name in $source.Keys | Sort-Object) {
            foreach ($example in $source[$name].Examples) {
                $key = "$($name): $($example.Title)"
                if ($example['Lab']) { $reasons.Keys | Should -Not -Contain $key -Because "'$key' runs, so it needs no reason" }
                elseif (-not $reasons.ContainsKey($key)) { $key }
            }
        }
        $unlisted | Should -BeNullOrEmpty -Because 'every example is marked Lab = $true or listed here with the reason it cannot run'
    }
}

Describe 'Help matches the cmdlet metadata' {
    It 'describes each parameter of <Name> as the cmdlet declares it' -TestCases $Cmdlets {
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        foreach ($p in $command.Parameters.Values | Where-Object { $_.Name -notin $common }) {
            $doc = @($help.parameters.parameter | Where-Object name -eq $p.Name)
            $doc.Count | Should -Be 1 -Because "-$($p.Name) must be documented once"
            $doc = $doc[0]
            $because = "of $Name -$($p.Name)"
            $doc.type.name | Should -Be (Get-ExpectedTypeName $p.ParameterType) -Because "the type $because"
            $doc.type.name | Should -Not -Match 'Nullable'
            $doc.required | Should -Be (Get-ExpectedPerSet $p { param($m) $m.IsMandatory.ToString().ToLowerInvariant() }) -Because "Required $because"
            $doc.position | Should -Be (Get-ExpectedPerSet $p { param($m) if ($m.Position -ge 0) { [string]$m.Position } else { 'named' } }) -Because "the position $because"
            $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            $byValue = [bool]($attrs | Where-Object ValueFromPipeline)
            $byName = [bool]($attrs | Where-Object ValueFromPipelineByPropertyName)
            $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
            $doc.pipelineInput | Should -Be $pipeline -Because "the pipeline input $because"
            $wildcards = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
            $doc.globbing | Should -Be $wildcards.ToString().ToLowerInvariant() -Because "wildcards $because"
            if (-not $wildcards) {
                ($doc.description.Text -join ' ') | Should -Not -Match 'wildcard' -Because "-$($p.Name) of $Name takes no wildcards"
            }
            $aliases = if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }
            $doc.aliases | Should -Be $aliases -Because "the aliases $because"

            $element = [Nullable]::GetUnderlyingType($p.ParameterType) ?? $p.ParameterType
            if ($element.IsArray) { $element = $element.GetElementType() }
            $element = [Nullable]::GetUnderlyingType($element) ?? $element
            $set = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
            $values = if ($element.IsEnum) { [enum]::GetNames($element) } elseif ($set) { $set.ValidValues } else { @() }
            foreach ($value in $values) {
                ($doc.description.Text -join ' ') | Should -Match "Accepted values: .*\b$([regex]::Escape($value))\b" -Because "-$($p.Name) of $Name accepts $value"
            }

            # The default: what the property holds before binding, where that is a value (not $null, empty, $false or 0).
            $mandatoryEverywhere = -not ($p.ParameterSets.Values | Where-Object { -not $_.IsMandatory })
            $value = $command.ImplementingType.GetProperty($p.Name).GetValue([Activator]::CreateInstance($command.ImplementingType))
            $unset = $mandatoryEverywhere -or $null -eq $value -or ($value -is [System.Management.Automation.SwitchParameter] -and -not $value.IsPresent) -or
                ($value -is [bool] -and -not $value) -or ($value -is [string] -and $value -eq '') -or ($value -is [array] -and $value.Count -eq 0) -or
                ($value -is [ValueType] -and $value -isnot [enum] -and $value -is [System.IConvertible] -and $value -eq 0)
            $doc.defaultValue | Should -Be $(if ($unset) { 'None' } else { [string]$value }) -Because "the default $because"
        }
    }

    It 'gives <Name> one syntax per parameter set, with each parameter''s set-specific position and Required' -TestCases $Cmdlets {
        $command = Get-Command $Name
        $items = @((Get-Help $Name -Full).syntax.syntaxItem)
        $items.Count | Should -Be $command.ParameterSets.Count
        for ($i = 0; $i -lt $items.Count; $i++) {
            $set = $command.ParameterSets[$i]
            $expected = @($set.Parameters | Where-Object { $_.Name -notin $common })
            @($items[$i].parameter | Where-Object { $_ }).name | Should -Be @($expected.Name)
            foreach ($p in $expected) {
                $doc = $items[$i].parameter | Where-Object name -eq $p.Name
                $doc.required | Should -Be $p.IsMandatory.ToString().ToLowerInvariant() -Because "-$($p.Name) in $($set.Name)"
                $doc.position | Should -Be $(if ($p.Position -ge 0) { [string]$p.Position } else { 'named' }) -Because "-$($p.Name) in $($set.Name)"
            }
        }
    }

    It 'shows an SSL mode parameter with its type and values, a positional parameter with its position, a switch without a value' {
        $text = Get-Help Set-SecureIntegration -Full | Out-String -Width 2000
        $text | Should -Match '-SslMode\s+\{Preferred\s+\|\s+Required\s+\|\s+VerifyCA\s+\|\s+VerifyFull\}'
        $text | Should -Not -Match 'Nullable'
        $text | Should -Match '\[-NoSsh\]'
        (Get-Help Set-SecureIntegration -Parameter SslMode | Out-String) | Should -Match 'Accepted values: Preferred, Required, VerifyCA, VerifyFull'
        (Get-Help Get-SshServerKey -Parameter HostName).position | Should -Be '0'
        (Get-Help Get-SecureIntegration -Parameter Name).globbing | Should -Be 'true'
        (Get-Help Remove-SecureIntegration -Parameter Name).globbing | Should -Be 'false'
        (Get-Help Get-SshServerKey -Parameter Port).defaultValue | Should -Be '22'
    }
}

Describe 'About topics' {
    It 'has the overview about_SecureConnect: workspace, key, integrations, tunnels, policies' {
        $topic = Get-Help about_SecureConnect | Out-String
        $topic | Should -Match 'SECURECONNECT_HOME'
        foreach ($section in 'THE WORKSPACE', 'THE WORKSPACE KEY', 'INTEGRATIONS', 'SSH TUNNELS', 'SSL POLICIES', 'HOW THEY FIT TOGETHER') {
            $topic | Should -Match "(?m)^\s*$section\s*$" -Because "the overview needs the section $section"
        }
    }

    It 'has about_SecureConnect_Security: every SSL mode and host-key policy, what each protects against and not, where secrets live' {
        $topic = Get-Help about_SecureConnect_Security | Out-String
        foreach ($mode in [enum]::GetNames([SecureConnect.SslMode]) + 'Strict') {
            $topic | Should -Match "(?m)^\s*$mode\b" -Because "the SSL mode $mode needs an entry"
        }
        $policies = (Get-Command Start-SshTunnel).Parameters.HostKeyPolicy.ParameterType
        foreach ($policy in [enum]::GetNames(([Nullable]::GetUnderlyingType($policies) ?? $policies))) {
            $topic | Should -Match "(?m)^\s*$policy\b" -Because "the host-key policy $policy needs an entry"
        }
        foreach ($point in 'PROTECTS AGAINST', 'DOES NOT PROTECT AGAINST', 'WHERE SECRETS LIVE', 'WHERE SECRETS NEVER LIVE', '-HostKeyFingerprint') {
            $topic | Should -Match ([regex]::Escape($point))
        }
    }

    It 'has about_SecureConnect_Runbooks: SecretManagement, -ErrorAction Stop, the error ids, ForEach-Object -Parallel, -NonInteractive' {
        $topic = Get-Help about_SecureConnect_Runbooks | Out-String
        foreach ($point in '-CredentialSecret', 'Microsoft.PowerShell.SecretManagement', '-ErrorAction Stop', 'FullyQualifiedErrorId',
            'ForEach-Object -Parallel', 'Import-Module SecureConnect', '-NonInteractive', 'HostKeyUnknown', 'SslPolicyViolation', 'QueryInterrupted') {
            $topic | Should -Match ([regex]::Escape($point))
        }
    }

    It 'has about_SecureConnect_Firewall with every firewall rule format and the presets' {
        $topic = Get-Help about_SecureConnect_Firewall | Out-String
        $formats = (Get-Command ConvertTo-FirewallRule).Parameters.Format.ParameterType
        foreach ($format in [enum]::GetNames(([Nullable]::GetUnderlyingType($formats) ?? $formats))) {
            $topic | Should -Match "\b$format\b" -Because "the format $format needs a mention"
        }
        $topic | Should -Match 'Observed'
    }

    It 'has about_SecureConnect_Errors with an entry for every id of ErrorIds.cs' {
        $topic = Get-Help about_SecureConnect_Errors | Out-String
        $ids = [regex]::Matches((Get-Content -Raw (Join-Path $PSScriptRoot '../src/SecureConnect/Common/ErrorIds.cs')), 'public const string (\w+) =') | ForEach-Object { $_.Groups[1].Value }
        $ids.Count | Should -BeGreaterThan 50
        foreach ($id in $ids) {
            $topic | Should -Match "(?m)^\s*$id\s*$" -Because "$id needs an entry of its own"
        }
    }
}

Describe 'Online help (docs/)' {
    It 'is what tests/tools/ConvertTo-MarkdownHelp.ps1 makes from the help now (run it after changing the help)' {
        $fresh = Join-Path $TestDrive 'docs'
        & (Join-Path $PSScriptRoot 'tools/ConvertTo-MarkdownHelp.ps1') -ModulePath $env:SECURECONNECT_MODULE_PATH -OutputPath $fresh 6>$null
        $committed = Join-Path $PSScriptRoot '../docs'
        $freshFiles = @(Get-ChildItem $fresh -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($fresh, $_.FullName) } | Sort-Object)
        $committedFiles = @(Get-ChildItem $committed -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($committed, $_.FullName) } | Sort-Object)
        $committedFiles | Should -Be $freshFiles
        foreach ($file in $freshFiles) {
            [IO.File]::ReadAllText((Join-Path $committed $file)) | Should -BeExactly ([IO.File]::ReadAllText((Join-Path $fresh $file))) -Because "docs/$file is stale: run tests/tools/ConvertTo-MarkdownHelp.ps1"
        }
        $freshFiles | Should -Contain (Join-Path 'cmdlets' 'Start-SshTunnel.md')
        $freshFiles | Should -Contain (Join-Path 'about' 'about_SecureConnect_Security.md')
    }
}

Describe 'Examples that run against the lab' -Skip:(Skip-When $NoLab) {
    BeforeAll {
        $script:lab = Get-LabEndpoints
        $script:previousHome = $env:SECURECONNECT_HOME
        # The template workspace: a key the lab bastion accepts, the bastion trusted; each example gets a copy of it.
        $script:template = Join-Path ([IO.Path]::GetTempPath()) ("sc-help-" + [guid]::NewGuid().ToString('N'))
        $env:SECURECONNECT_HOME = $template
        $key = New-WorkspaceSshKey
        Set-Content -Path $lab.bastion.authorizedKeysPath -Value ($key | ConvertTo-AuthorizedKey)
        Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost | Out-Null
        $script:password = ConvertTo-SecureText $lab.postgresTls.password
    }

    AfterAll {
        if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel }
        if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
        if ($template) { Remove-Item -Recurse -Force $template -ErrorAction SilentlyContinue }
        $env:SECURECONNECT_HOME = $previousHome
    }

    It 'runs the example ''<Title>'' of <Cmdlet> as written' -TestCases $LabExamples {
        # Each example in its own copy of the workspace and its own folder (with the files the examples name:
        # ca.pem, new-ca.pem), with the integrations the examples use: orders (PostgreSQL) and shop (MariaDB), both
        # VerifyFull with the lab CA, through the lab bastion, and one configured egress address.
        $work = Join-Path ([IO.Path]::GetTempPath()) ("sc-help-run-" + [guid]::NewGuid().ToString('N'))
        $workspace = Join-Path $work 'workspace'
        New-Item -ItemType Directory -Force $work | Out-Null
        Copy-Item -Recurse $template $workspace
        Copy-Item $lab.postgresTls.caPath (Join-Path $work 'ca.pem')
        Copy-Item $lab.postgresTls.caPath (Join-Path $work 'new-ca.pem')
        $env:SECURECONNECT_HOME = $workspace
        $ssh = @{ SshBastion = "$($lab.bastion.host):$($lab.bastion.port)"; SshUser = $lab.bastion.user }
        New-SecureIntegration -Name orders -Type PostgreSQL -HostName $lab.postgresTls.hostName -Port $lab.postgresTls.port -Database $lab.postgresTls.database `
            -Credential ([pscredential]::new($lab.postgresTls.user, $password)) -SslMode VerifyFull -CaCertificatePath $lab.postgresTls.caPath @ssh | Out-Null
        New-SecureIntegration -Name shop -Type MariaDB -HostName $lab.mariadb.hostName -Port $lab.mariadb.port -Database $lab.mariadb.database `
            -Credential ([pscredential]::new($lab.mariadb.user, (ConvertTo-SecureText $lab.mariadb.password))) -SslMode VerifyFull -CaCertificatePath $lab.mariadb.caPath @ssh | Out-Null
        Add-EgressAddress 198.51.100.7 -Description 'old office' | Out-Null
        Push-Location $work
        try {
            $ErrorActionPreference = 'Stop'
            $ProgressPreference = 'SilentlyContinue'
            $output = & ([scriptblock]::Create($Code)) *>&1
            @($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        }
        finally {
            Pop-Location
            Get-SshTunnel | Stop-SshTunnel
            Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
        }
    }
}
