# Writes the online help: docs/cmdlets/<Name>.md for every cmdlet and docs/about/<topic>.md for every about topic, from
# the same source as Get-Help (the built module's SecureConnect.dll-Help.xml, itself made from en-US/SecureConnect.help.psd1
# and the cmdlets' metadata, and en-US/about_*.help.txt). Each cmdlet's HelpUri points at its page (HelpUris.cs).
#
#   dotnet pwsh ./build.ps1 -Task Build
#   dotnet pwsh -NoProfile -File tests/tools/ConvertTo-MarkdownHelp.ps1 -ModulePath output/SecureConnect/0.1.0/SecureConnect.psd1
#
# tests/Help.Tests.ps1 runs it into a temporary folder and fails when docs/ differs, so docs/ is never stale.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $OutputPath = (Join-Path $PSScriptRoot '../../docs'),
    [string] $AboutPath = (Join-Path $PSScriptRoot '../../en-US')
)
$ErrorActionPreference = 'Stop'
# No strict mode: the objects Get-Help returns lack the properties a help item leaves out.

if (-not (Get-Module SecureConnect)) { Import-Module $ModulePath }
$module = Get-Module SecureConnect

function Get-Text($Node) {
    # The paragraphs of a MAML description, as Get-Help returns them.
    if ($null -eq $Node) { return '' }
    (@($Node | ForEach-Object { "$($_.Text)".Trim() }) | Where-Object { $_ }) -join "`n`n"
}

function ConvertTo-Link([string] $Name) {
    if ($Name -match '^about_') { return "[$Name](../about/$Name.md)" }
    if (Get-Command $Name -Module SecureConnect -ErrorAction SilentlyContinue) { return "[$Name]($Name.md)" }
    $Name
}

function Write-File([string] $Path, [System.Collections.Generic.List[string]] $Lines) {
    $text = ($Lines -join "`n").TrimEnd() + "`n"
    [IO.File]::WriteAllText($Path, $text, [Text.UTF8Encoding]::new($false))
}

$cmdletDir = New-Item -ItemType Directory -Force (Join-Path $OutputPath 'cmdlets')
$aboutDir = New-Item -ItemType Directory -Force (Join-Path $OutputPath 'about')
Get-ChildItem $cmdletDir -Filter *.md | Remove-Item
Get-ChildItem $aboutDir -Filter *.md | Remove-Item

$commands = Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name
foreach ($command in $commands) {
    $help = Get-Help $command.Name -Full
    $md = [System.Collections.Generic.List[string]]::new()
    $md.Add("# $($command.Name)")
    $md.Add('')
    $md.Add("Online version: <$($command.HelpUri)>")
    $md.Add('')
    $md.Add('## Synopsis')
    $md.Add('')
    $md.Add($help.Synopsis.Trim())
    $md.Add('')
    $md.Add('## Syntax')
    $md.Add('')
    $md.Add('```powershell')
    foreach ($line in ((Get-Command $command.Name -Syntax).Trim() -split '\r?\n' | Where-Object { $_.Trim() })) { $md.Add($line.Trim()); $md.Add('') }
    $md.RemoveAt($md.Count - 1)
    $md.Add('```')
    $md.Add('')
    $md.Add('## Description')
    $md.Add('')
    $md.Add((Get-Text $help.description))
    $md.Add('')
    $md.Add('## Parameters')
    $md.Add('')
    foreach ($p in @($help.parameters.parameter)) {
        if (-not $p) { continue }
        $md.Add("### -$($p.name)")
        $md.Add('')
        $md.Add((Get-Text $p.description))
        $md.Add('')
        $md.Add('| | |')
        $md.Add('|---|---|')
        $md.Add("| Type | ``$($p.type.name)`` |")
        $md.Add("| Required | $($p.required) |")
        $md.Add("| Position | $($p.position) |")
        $md.Add("| Default value | $($p.defaultValue) |")
        $md.Add("| Accept pipeline input | $($p.pipelineInput) |")
        $md.Add("| Accept wildcard characters | $($p.globbing) |")
        $md.Add("| Aliases | $($p.aliases) |")
        $md.Add('')
    }
    $md.Add('### CommonParameters')
    $md.Add('')
    $md.Add('This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction and -WarningVariable (and -WhatIf and -Confirm where it changes state). See about_CommonParameters.')
    $md.Add('')
    $md.Add('## Inputs')
    $md.Add('')
    foreach ($t in @($help.inputTypes.inputType)) {
        $md.Add("### $($t.type.name)")
        $md.Add('')
        $text = Get-Text $t.description
        if ($text) { $md.Add($text); $md.Add('') }
    }
    $md.Add('## Outputs')
    $md.Add('')
    foreach ($t in @($help.returnValues.returnValue)) {
        $md.Add("### $($t.type.name)")
        $md.Add('')
        $text = Get-Text $t.description
        if ($text) { $md.Add($text); $md.Add('') }
    }
    $md.Add('## Examples')
    $md.Add('')
    $i = 0
    foreach ($example in @($help.examples.example)) {
        $i++
        $title = ($example.title -replace '^-+\s*', '' -replace '\s*-+$', '')
        $md.Add("### $title")
        $md.Add('')
        $md.Add('```powershell')
        foreach ($line in ($example.code -split '\r?\n')) { $md.Add($line.TrimEnd()) }
        $md.Add('```')
        $md.Add('')
        $md.Add((Get-Text $example.remarks))
        $md.Add('')
    }
    $md.Add('## Related links')
    $md.Add('')
    foreach ($link in @($help.relatedLinks.navigationLink)) {
        if (-not $link -or $link.linkText -eq 'Online Version:') { continue }
        $md.Add("- $(ConvertTo-Link $link.linkText)")
    }
    Write-File (Join-Path $cmdletDir "$($command.Name).md") $md
}

foreach ($topic in Get-ChildItem $AboutPath -Filter 'about_*.help.txt' | Sort-Object Name) {
    $name = $topic.Name -replace '\.help\.txt$', ''
    $md = [System.Collections.Generic.List[string]]::new()
    $md.Add("# $name")
    $md.Add('')
    $md.Add("The text of ``Get-Help $name``.")
    $md.Add('')
    $md.Add('```text')
    foreach ($line in ((Get-Content -Raw $topic.FullName) -split '\r?\n')) { $md.Add($line.TrimEnd()) }
    while ($md[$md.Count - 1] -eq '') { $md.RemoveAt($md.Count - 1) }
    $md.Add('```')
    Write-File (Join-Path $aboutDir "$name.md") $md
}

$index = [System.Collections.Generic.List[string]]::new()
$index.Add('# SecureConnect documentation')
$index.Add('')
$index.Add('Generated by tests/tools/ConvertTo-MarkdownHelp.ps1 from en-US/ and the cmdlets; do not edit by hand.')
$index.Add('')
$index.Add('## Cmdlets')
$index.Add('')
foreach ($command in $commands) { $index.Add("- [$($command.Name)](cmdlets/$($command.Name).md): $((Get-Help $command.Name).Synopsis.Trim())") }
$index.Add('')
$index.Add('## About topics')
$index.Add('')
foreach ($topic in Get-ChildItem $aboutDir -Filter '*.md' | Sort-Object Name) { $index.Add("- [$($topic.BaseName)](about/$($topic.Name))") }
Write-File (Join-Path $OutputPath 'README.md') $index
Write-Host "Markdown help: $($commands.Count) cmdlets -> $OutputPath"
