@{
    RootModule           = 'SecureConnect.psm1'
    # Stamped from Directory.Build.props by build.ps1; this source value is never published.
    ModuleVersion        = '0.0.0'
    GUID                 = '5d0f3f64-9a39-4f0e-8d5b-7c1f2a8e4b61'
    Author               = 'SecureConnect contributors'
    CompanyName          = 'SecureConnect'
    Copyright            = '(c) SecureConnect contributors. All rights reserved.'
    Description          = 'Secure connections to private data for sysadmins and runbooks: a workspace SSH key, SSH tunnels through a bastion, SSL-enforced queries, and the egress allowlist for database firewalls.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('SecureConnect.format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'New-WorkspaceSshKey'
        'Get-WorkspaceSshKey'
        'Remove-WorkspaceSshKey'
        'Import-WorkspaceSshKey'
        'Unlock-WorkspaceSshKey'
        'Lock-WorkspaceSshKey'
        'ConvertTo-AuthorizedKey'
        'Get-SshServerKey'
        'Add-SshKnownHost'
        'Get-SshKnownHost'
        'Remove-SshKnownHost'
        'Start-SshTunnel'
        'Get-SshTunnel'
        'Stop-SshTunnel'
        'Test-SshTunnel'
        'New-SecureIntegration'
        'Get-SecureIntegration'
        'Set-SecureIntegration'
        'Remove-SecureIntegration'
        'Set-SslPolicy'
        'Get-SslPolicy'
        'Invoke-SecureQuery'
        'Export-SecureQuery'
        'Test-SecureConnection'
        'Get-EgressAllowlist'
        'Add-EgressAddress'
        'Remove-EgressAddress'
        'ConvertTo-FirewallRule'
        'Test-EgressAllowlist'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('SSH', 'Tunnel', 'Bastion', 'PostgreSQL', 'MySQL', 'SqlServer', 'TLS', 'Security')
            ProjectUri = ''
        }
    }
}
