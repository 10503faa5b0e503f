# Tab completion of the module's arguments, through TabExpansion2 as the console calls it: integration names, tunnel
# names and ids, known-host names, egress addresses and preset names. Names that need quotes come quoted, and a
# broken workspace completes nothing instead of throwing.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoBastion = if (-not $lab) { 'the lab is not running' } elseif (-not $lab.bastion.available) { 'the lab bastion is not available' }

    $IntegrationParameters = @(
        @{ Line = 'Get-SecureIntegration -Name ' }
        @{ Line = 'Set-SecureIntegration -Name ' }
        @{ Line = 'Remove-SecureIntegration -Name ' }
        @{ Line = 'Invoke-SecureQuery -Integration ' }
        @{ Line = 'Export-SecureQuery -Integration ' }
        @{ Line = 'Test-SecureConnection -Integration ' }
        @{ Line = 'Start-SshTunnel -Integration ' }
        @{ Line = 'Get-SslPolicy -Integration ' }
        @{ Line = 'Set-SslPolicy -Integration ' }
        @{ Line = 'Get-EgressAllowlist -Integration ' }
        @{ Line = 'Test-EgressAllowlist -Integration ' }
    )
    $TunnelCommands = @(
        @{ Command = 'Get-SshTunnel' }
        @{ Command = 'Stop-SshTunnel' }
        @{ Command = 'Test-SshTunnel' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints

    function Complete([string] $Line) {
        # What Tab offers at the end of $Line: the texts it would insert.
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }

    $script:completionWs = New-TestWorkspace
    New-SecureIntegration -Name 'warehouse' -Type PostgreSQL -HostName 'db1.example' | Out-Null
    New-SecureIntegration -Name 'My Warehouse' -Type PostgreSQL -HostName 'db2.example' | Out-Null
    New-SecureIntegration -Name 'reports' -Type MySQL -HostName 'db3.example' | Out-Null
}

AfterAll {
    Remove-Item -Recurse -Force $script:completionWs -ErrorAction SilentlyContinue
}

Describe 'Completing integration names' {
    It 'completes every integration on <Line>' -ForEach $IntegrationParameters {
        $all = Complete $Line
        $all | Should -Be @("'My Warehouse'", 'reports', 'warehouse')
    }

    It 'completes by prefix, ignoring case, on <Line>' -ForEach $IntegrationParameters {
        Complete ($Line + 'WARE') | Should -Be @('warehouse')
        Complete ($Line + 'my') | Should -Be @("'My Warehouse'")
    }

    It 'completes inside a quote the user started' {
        Complete "Get-SecureIntegration -Name 'My W" | Should -Be @("'My Warehouse'")
        Complete 'Get-SecureIntegration -Name "My W' | Should -Be @('"My Warehouse"')
    }

    It 'inserts a name that binds back to the integration' {
        $text = Complete 'Get-SecureIntegration -Name My'
        $found = Invoke-Expression "Get-SecureIntegration -Name $text"
        $found.Name | Should -Be 'My Warehouse'
    }

    It 'completes nothing, and does not throw, when workspace.json is broken' {
        $broken = New-TestWorkspace
        try {
            New-Item -ItemType Directory -Path $broken | Out-Null
            Set-Content -Path (Join-Path $broken 'workspace.json') -Value '{ this is not json'
            { Get-SecureIntegration } | Should -Throw
            Complete 'Get-SecureIntegration -Name ' | Should -BeNullOrEmpty
            Complete 'Invoke-SecureQuery -Integration w' | Should -BeNullOrEmpty
        }
        finally {
            $env:SECURECONNECT_HOME = $script:completionWs
            Remove-Item -Recurse -Force $broken -ErrorAction SilentlyContinue
        }
    }

    It 'completes nothing in a workspace that does not exist, and does not create it' {
        $missing = New-TestWorkspace
        try {
            Complete 'Get-SecureIntegration -Name ' | Should -BeNullOrEmpty
            Test-Path $missing | Should -BeFalse
        }
        finally { $env:SECURECONNECT_HOME = $script:completionWs }
    }
}

Describe 'Completing known hosts, egress addresses and presets' {
    BeforeAll {
        $key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
        Add-SshKnownHost -HostName 'bastion-a.example' -PublicKey $key | Out-Null
        Add-SshKnownHost -HostName 'bastion-b.example' -Port 2222 -PublicKey $key | Out-Null
        Add-EgressAddress -Address '203.0.113.7', '198.51.100.0/24' | Out-Null
    }

    It 'completes the host names of known_hosts on <Line>' -ForEach @(
        @{ Line = 'Remove-SshKnownHost -HostName ' }
        @{ Line = 'Get-SshKnownHost -HostName ' }
    ) {
        Complete $Line | Should -Be @('bastion-a.example', 'bastion-b.example')
        Complete ($Line + 'bastion-b') | Should -Be @('bastion-b.example')
    }

    It 'completes the configured egress addresses on Remove-EgressAddress' {
        $all = Complete 'Remove-EgressAddress -Address '
        $all | Should -HaveCount 2
        $all | Should -Contain '203.0.113.7/32'
        $all | Should -Contain '198.51.100.0/24'
        Complete 'Remove-EgressAddress -Address 198' | Should -Be @('198.51.100.0/24')
    }

    It 'completes the preset names on Get-EgressAllowlist -Preset' {
        Complete 'Get-EgressAllowlist -Preset ' | Should -Contain 'Deepnote'
        Complete 'Get-EgressAllowlist -Preset deep' | Should -Be @('Deepnote')
        Complete 'Get-EgressAllowlist -Preset zzz' | Should -BeNullOrEmpty
    }
}

Describe 'Completing tunnel names and ids' -Tag Lab -Skip:(Skip-When $NoBastion) {
    BeforeAll {
        Initialize-LabWorkspace
        $tunnelArgs = @{ Bastion = $lab.bastion.host; BastionPort = [int]$lab.bastion.port; User = $lab.bastion.user; ConnectTimeout = 10 }
        $script:t1 = Start-SshTunnel @tunnelArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port -Name 'cache tunnel'
        $script:t2 = Start-SshTunnel @tunnelArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port -Name 'pg'
    }

    AfterAll { Remove-LabWorkspace }

    It 'completes the tunnel names on <Command> -Name' -ForEach $TunnelCommands {
        Complete "$Command -Name " | Should -Be @("'cache tunnel'", 'pg')
        Complete "$Command -Name ca" | Should -Be @("'cache tunnel'")
    }

    It 'completes the tunnel ids on <Command> -Id' -ForEach $TunnelCommands {
        $ids = Complete "$Command -Id "
        $ids | Should -Contain ([string]$t1.Id)
        $ids | Should -Contain ([string]$t2.Id)
        $line = "$Command -Id "
        $tip = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Where-Object CompletionText -eq ([string]$t1.Id) | ForEach-Object ToolTip
        $tip | Should -BeLike "'cache tunnel' 127.0.0.1:$($t1.LocalPort) -> *"
    }

    It 'inserts a tunnel name that binds back to the tunnel' {
        $text = Complete 'Get-SshTunnel -Name cache'
        (Invoke-Expression "Get-SshTunnel -Name $text").Id | Should -Be $t1.Id
    }
}
