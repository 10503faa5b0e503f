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

function Get-TypeName([type] $Type) {
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    $Type.Name
}

function Write-Parameter($Parameter, $SetParameter, [hashtable] $Docs, [string] $CommandName) {
    $doc = $Docs[$Parameter.Name]
    if (-not $doc) { throw "Help for $CommandName lacks a description of -$($Parameter.Name)." }
    $isSwitch = $Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $required = if ($SetParameter) { $SetParameter.IsMandatory } else { ($Parameter.ParameterSets.Values | Where-Object IsMandatory) -as [bool] }
    $position = if ($SetParameter -and $SetParameter.Position -ge 0) { [string]$SetParameter.Position } else { 'named' }
    $attrs = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
    $byValue = ($attrs | Where-Object ValueFromPipeline) -as [bool]
    $byName = ($attrs | Where-Object ValueFromPipelineByPropertyName) -as [bool]
    $pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }

    $writer.WriteStartElement('command', 'parameter', $ns.command)
    $writer.WriteAttributeString('required', $required.ToString().ToLowerInvariant())
    $writer.WriteAttributeString('variableLength', 'true')
    $writer.WriteAttributeString('globbing', 'false')
    $writer.WriteAttributeString('pipelineInput', $pipeline)
    $writer.WriteAttributeString('position', $position)
    $writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('maml', 'name', $ns.maml, $Parameter.Name)
    Write-Description $doc
    $validateSet = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
    $enumValues = if ($Parameter.ParameterType.IsEnum) { [enum]::GetNames($Parameter.ParameterType) } elseif ($validateSet) { $validateSet.ValidValues } else { @() }
    if ($enumValues) {
        $writer.WriteStartElement('command', 'parameterValueGroup', $ns.command)
        foreach ($value in $enumValues) {
            $writer.WriteStartElement('command', 'parameterValue', $ns.command)
            $writer.WriteAttributeString('required', 'false')
            $writer.WriteAttributeString('variableLength', 'false')
            $writer.WriteString($value)
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('command', 'parameterValue', $ns.command)
    $writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
    $writer.WriteAttributeString('variableLength', 'false')
    $writer.WriteString((Get-TypeName $Parameter.ParameterType))
    $writer.WriteEndElement()
    $writer.WriteStartElement('dev', 'type', $ns.dev)
    $writer.WriteElementString('maml', 'name', $ns.maml, $Parameter.ParameterType.FullName)
    $writer.WriteEndElement()
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
            Write-Parameter $command.Parameters[$p.Name] $p $doc.Parameters $command.Name
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'parameters', $ns.command)
    foreach ($p in $command.Parameters.Values | Where-Object { $_.Name -notin $commonParameters }) {
        Write-Parameter $p $null $doc.Parameters $command.Name
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'inputTypes', $ns.command)
    foreach ($input in @($doc['Inputs'])) {
        if (-not $input) { continue }
        $writer.WriteStartElement('command', 'inputType', $ns.command)
        $writer.WriteStartElement('dev', 'type', $ns.dev)
        $writer.WriteElementString('maml', 'name', $ns.maml, $input)
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('command', 'returnValues', $ns.command)
    foreach ($output in $command.OutputType) {
        $writer.WriteStartElement('command', 'returnValue', $ns.command)
        $writer.WriteStartElement('dev', 'type', $ns.dev)
        $writer.WriteElementString('maml', 'name', $ns.maml, $output.Name)
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

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
