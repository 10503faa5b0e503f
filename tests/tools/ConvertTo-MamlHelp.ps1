# Generates the cmdlet help file (MAML) of the built module from en-US/SecureConnect.help.psd1 (the prose)
# and the cmdlets' own metadata (parameter names, types, sets, pipeline input). platyPS is not available
# here, and this keeps the syntax in the help always equal to the code.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SourcePath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$module = Import-Module $ModulePath -PassThru -Force
$help = Import-PowerShellDataFile $SourcePath
$commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

function Write-Para([string] $Text) {
    foreach ($para in ($Text -split "`n`n")) {
        $writer.WriteElementString('maml', 'para', $ns.maml, ($para -replace '\s*\n\s*', ' ').Trim())
    }
}

function Write-Description([string] $Text) {
    $writer.WriteStartElement('maml', 'description', $ns.maml)
    Write-Para $Text
    $writer.WriteEndElement()
}

function Get-ElementType([type] $Type) {
    # The type a user types a value of: Nullable<T> is T, T[] is T (the help shows T[] itself with Get-TypeName).
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) { return $underlying }
    $Type
}

function Get-TypeName([type] $Type) {
    $Type = Get-ElementType $Type
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    if ($Type.IsArray) { return (Get-TypeName $Type.GetElementType()) + '[]' }
    $Type.Name
}

function Get-TypeFullName([type] $Type) {
    $Type = Get-ElementType $Type
    if ($Type.IsArray) { return (Get-TypeFullName $Type.GetElementType()) + '[]' }
    $Type.FullName
}

function Get-AcceptedValues($Parameter) {
    # An enum's names (also of T? and T[]), or a ValidateSet's values: what -Parameter <Tab> offers.
    $type = Get-ElementType $Parameter.ParameterType
    if ($type.IsArray) { $type = Get-ElementType $type.GetElementType() }
    if ($type.IsEnum) { return [enum]::GetNames($type) }
    $validateSet = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($validateSet) { return $validateSet.ValidValues }
    @()
}

function Get-PerSetText($Parameter, [scriptblock] $Value) {
    # One value when every parameter set agrees, else 'value (Set); value (Set2)'.
    $pairs = @(foreach ($entry in $Parameter.ParameterSets.GetEnumerator() | Sort-Object Key) {
            [pscustomobject]@{ Set = $entry.Key; Text = [string](& $Value $entry.Value) }
        })
    $distinct = @($pairs.Text | Select-Object -Unique)
    if ($distinct.Count -eq 1) { return $distinct[0] }
    ($pairs | ForEach-Object { "$($_.Text) ($($_.Set))" }) -join '; '
}

function Get-PositionText($SetMetadata) {
    if ($SetMetadata.Position -ge 0) { [string]$SetMetadata.Position } else { 'named' }
}

function Get-DefaultValueText($Command, $Parameter) {
    # The value the cmdlet's property holds before binding, read from a fresh instance: 'None' when it is unset
    # ($null, empty, $false, 0), so the help never claims a default the code does not have. A parameter that is
    # mandatory wherever it appears has no default.
    if (-not ($Parameter.ParameterSets.Values | Where-Object { -not $_.IsMandatory })) { return 'None' }
    try {
        $instance = [Activator]::CreateInstance($Command.ImplementingType)
        $value = $Command.ImplementingType.GetProperty($Parameter.Name).GetValue($instance)
    }
    catch { return 'None' }
    if ($null -eq $value) { return 'None' }
    if ($value -is [System.Management.Automation.SwitchParameter]) { if ($value.IsPresent) { return 'True' } else { return 'None' } }
    if ($value -is [bool] -and -not $value) { return 'None' }
    if ($value -is [string] -and $value -eq '') { return 'None' }
    if ($value -is [array] -and $value.Count -eq 0) { return 'None' }
    if ($value -is [ValueType] -and -not ($value -is [enum]) -and $value -eq 0) { return 'None' }
    [string]$value
}

function Write-Parameter($Command, $Parameter, $SetParameter, [hashtable] $Docs) {
    $doc = $Docs[$Parameter.Name]
    if (-not $doc) { throw "Help for $($Command.Name) lacks a description of -$($Parameter.Name)." }
    $wildcards = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    if (-not $wildcards -and $doc -match 'wildcard') {
        throw "Help for $($Command.Name) -$($Parameter.Name) speaks of wildcards, but the parameter has no [SupportsWildcards]: mark it in C# if it takes them, or reword the help."
    }
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    if ($SetParameter) {
        $required = $SetParameter.IsMandatory.ToString().ToLowerInvariant()
        $position = if ($SetParameter.Position -ge 0) { [string]$SetParameter.Position } else { 'named' }
    }
    else {
        $required = Get-PerSetText $Parameter { param($m) $m.IsMandatory.ToString().ToLowerInvariant() }
        $position = Get-PerSetText $Parameter { param($m) Get-PositionText $m }
    }
    $attrs = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
    $byValue = ($attrs | Where-Object ValueFromPipeline) -as [bool]
    $byName = ($attrs | Where-Object ValueFromPipelineByPropertyName) -as [bool]
    $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }

    $writer.WriteStartElement('command', 'parameter', $ns.command)
    $writer.WriteAttributeString('required', $required)
    $writer.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
    $writer.WriteAttributeString('globbing', $wildcards.ToString().ToLowerInvariant())
    $writer.WriteAttributeString('pipelineInput', $pipeline)
    $writer.WriteAttributeString('position', $position)
    $writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $ns.maml, $Parameter.Name)
    $values = @(Get-AcceptedValues $Parameter)
    # Get-Help -Parameter does not show the value group, so the accepted values are also the description's last line.
    Write-Description $(if ($values) { "$doc`n`nAccepted values: $($values -join ', ')." } else { $doc })
    if ($values) {
        $writer.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($value in $values) {
            $writer.WriteStartElement('command', 'parameterValue', $ns.command)
            $writer.WriteAttributeString('required', 'false')
            $writer.WriteAttributeString('variableLength', 'false')
            $writer.WriteString($value)
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    # A switch takes no value: its syntax is [-Force], and its entry under PARAMETERS says [<SwitchParameter>].
    if (-not ($isSwitch -and $SetParameter)) {
        $writer.WriteStartElement('command', 'parameterValue', $ns.command)
        $writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $writer.WriteAttributeString('variableLength', $Parameter.ParameterType.IsArray.ToString().ToLowerInvariant())
        $writer.WriteString((Get-TypeName $Parameter.ParameterType))
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('dev', 'type', $ns.dev)
    $writer.WriteElementString('maml', 'name', $ns.maml, (Get-TypeFullName $Parameter.ParameterType))
    $writer.WriteEndElement()
    $writer.WriteElementString('dev', 'defaultValue', $ns.dev, (Get-DefaultValueText $Command $Parameter))
    $writer.WriteEndElement()
}

function Get-InputTypes($Command, [hashtable] $Doc) {
    # What the pipeline takes, from the parameters that bind from it; the entry's Inputs add types that bind by
    # property name (a FileInfo's FullName, say).
    $inputs = [System.Collections.Generic.List[object]]::new()
    foreach ($p in $Command.Parameters.Values | Where-Object { $_.Name -notin $commonParameters } | Sort-Object Name) {
        $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        if ($attrs | Where-Object ValueFromPipeline) {
            $type = Get-ElementType $p.ParameterType
            if ($type.IsArray) { $type = Get-ElementType $type.GetElementType() }
            $inputs.Add([pscustomobject]@{ Name = $type.FullName; Text = "Binds to -$($p.Name) by value." })
        }
        if ($attrs | Where-Object ValueFromPipelineByPropertyName) {
            $names = @($p.Name) + @($p.Aliases)
            $inputs.Add([pscustomobject]@{ Name = 'System.Management.Automation.PSObject'; Text = "An object with a property named $($names -join ' or ') binds to -$($p.Name) by property name." })
        }
    }
    foreach ($extra in @($Doc['Inputs'])) {
        if ($extra -and -not ($inputs | Where-Object Name -eq $extra)) {
            $inputs.Add([pscustomobject]@{ Name = $extra; Text = 'Binds by property name (see the parameters).' })
        }
    }
    if ($inputs.Count -eq 0) { $inputs.Add([pscustomobject]@{ Name = 'None'; Text = 'This cmdlet takes no pipeline input.' }) }
    $inputs
}

function Get-OutputTypes($Command) {
    $outputs = @($Command.OutputType | Where-Object { $_.Type -ne [void] -and $_.Name -ne 'System.Void' } | ForEach-Object { $_.Name } | Select-Object -Unique)
    if (-not $outputs) { return @([pscustomobject]@{ Name = 'None'; Text = 'This cmdlet writes no objects.' }) }
    $outputs | ForEach-Object { [pscustomobject]@{ Name = $_; Text = '' } }
}

function Write-TypeList([string] $ListElement, [string] $ItemElement, $Types) {
    $writer.WriteStartElement('command', $ListElement, $ns.command)
    foreach ($t in $Types) {
        $writer.WriteStartElement('command', $ItemElement, $ns.command)
        $writer.WriteStartElement('dev', 'type', $ns.dev)
        $writer.WriteElementString('maml', 'name', $ns.maml, $t.Name)
        $writer.WriteEndElement()
        if ($t.Text) { Write-Description $t.Text }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems', 'http://msh')
$writer.WriteAttributeString('schema', 'maml')

$commands = Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name
foreach ($command in $commands) {
    $doc = $help[$command.Name]
    if (-not $doc) { throw "en-US/SecureConnect.help.psd1 has no entry for $($command.Name)." }
    foreach ($key in 'Synopsis', 'Description', 'Examples', 'Parameters') {
        if (-not $doc.ContainsKey($key)) { throw "Help for $($command.Name) lacks $key." }
    }
    foreach ($documented in $doc.Parameters.Keys) {
        if (-not $command.Parameters.ContainsKey($documented)) { throw "Help for $($command.Name) describes -$documented, which the cmdlet does not have." }
    }
    $verb, $noun = $command.Name -split '-', 2

    $writer.WriteStartElement('command', 'command', $ns.command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
    $writer.WriteAttributeString('xmlns', 'command', $null, $ns.command)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)

    $writer.WriteStartElement('command', 'details', $ns.command)
    $writer.WriteElementString('command', 'name', $ns.command, $command.Name)
    $writer.WriteElementString('command', 'verb', $ns.command, $verb)
    $writer.WriteElementString('command', 'noun', $ns.command, $noun)
    Write-Description $doc.Synopsis
    $writer.WriteEndElement()

    Write-Description $doc.Description

    $writer.WriteStartElement('command', 'syntax', $ns.command)
    foreach ($set in $command.ParameterSets) {
        $writer.WriteStartElement('command', 'syntaxItem', $ns.command)
        $writer.WriteElementString('maml', 'name', $ns.maml, $command.Name)
        foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $commonParameters }) {
            Write-Parameter $command $command.Parameters[$p.Name] $p $doc.Parameters
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $command.Parameters.Values | Where-Object { $_.Name -notin $commonParameters }) {
        Write-Parameter $command $p $null $doc.Parameters
    }
    $writer.WriteEndElement()

    Write-TypeList 'inputTypes' 'inputType' (Get-InputTypes $command $doc)
    Write-TypeList 'returnValues' 'returnValue' (Get-OutputTypes $command)

    if ($doc['Notes']) {
        $writer.WriteStartElement('maml', 'alertSet', $ns.maml)
        $writer.WriteStartElement('maml', 'alert', $ns.maml)
        Write-Para $doc.Notes
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('command', 'examples', $ns.command)
    $i = 0
    foreach ($example in $doc.Examples) {
        $i++
        $writer.WriteStartElement('command', 'example', $ns.command)
        $writer.WriteElementString('maml', 'title', $ns.maml, "-------------------------- Example $($i): $($example.Title) --------------------------")
        $writer.WriteElementString('dev', 'code', $ns.dev, $example.Code.Trim())
        $writer.WriteStartElement('dev', 'remarks', $ns.dev)
        Write-Para $example.Remarks
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'relatedLinks', $ns.command)
    if (-not $command.HelpUri) { throw "$($command.Name) has no HelpUri: add HelpUri = HelpUris.Cmdlets + ""$($command.Name).md"" to its [Cmdlet] attribute." }
    $writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
    $writer.WriteElementString('maml', 'linkText', $ns.maml, 'Online Version:')
    $writer.WriteElementString('maml', 'uri', $ns.maml, $command.HelpUri)
    $writer.WriteEndElement()
    foreach ($link in @($doc['Links'])) {
        if (-not $link) { continue }
        $writer.WriteStartElement('maml', 'navigationLink', $ns.maml)
        $writer.WriteElementString('maml', 'linkText', $ns.maml, $link)
        $writer.WriteElementString('maml', 'uri', $ns.maml, '')
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteEndElement()
}

$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Flush()
$writer.Dispose()
Write-Host "Help: $($commands.Count) cmdlets -> $OutputPath"
