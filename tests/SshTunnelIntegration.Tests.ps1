# Saved SSH Tunnel integrations: New-/Set-SecureIntegration -Type SshTunnel and their rules (no lab needed), and
# Start-SshTunnel -Integration through the lab's REAL OpenSSH bastion to the lab's Redis, reached by a raw TCP client
# that knows only the two environment variables the tunnel sets.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    else { $null }
    $NoRedis = if ($NoLab) { $NoLab } elseif (-not $lab.redis.available) { "the lab has no Redis: $($lab.redis.reason)" } else { $null }
    $NoRedisMaria = if ($NoRedis) { $NoRedis } elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" } else { $null }
    $NoHttp = if ($NoLab) { $NoLab } elseif (-not $lab.http.available) { "the lab has no HTTP service: $($lab.http.reason)" } else { $null }
    $NoRedisPg = if ($NoRedis) { $NoRedis } elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" } else { $null }
    $NotApplicable = @(
        @{ Parameter = 'SslMode'; Value = 'VerifyFull' }
        @{ Parameter = 'Credential'; Value = 'credential' }
        @{ Parameter = 'CredentialSecret'; Value = 'mlflow-login' }
        @{ Parameter = 'CaCertificatePath'; Value = 'ca.pem' }
        @{ Parameter = 'CrlPath'; Value = 'ca.crl' }
        @{ Parameter = 'Database'; Value = 'app' }
        @{ Parameter = 'Option'; Value = 'option' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    $script:Id = @{
        New    = 'SecureConnect.Commands.NewSecureIntegrationCommand'
        Set    = 'SecureConnect.Commands.SetSecureIntegrationCommand'
        Policy = 'SecureConnect.Commands.SetSslPolicyCommand'
        Start  = 'SecureConnect.Commands.StartSshTunnelCommand'
        Query  = 'SecureConnect.Commands.InvokeSecureQueryCommand'
        Test   = 'SecureConnect.Commands.TestSecureConnectionCommand'
    }

    # A route that is never contacted by the tests without the lab.
    $script:Route = @{ SshBastion = 'bastion.example.test:2222'; SshUser = 'tunnel' }

    function Get-WorkspaceJson {
        # workspace.json as text ('' when it does not exist), to show that a refused command wrote nothing.
        $path = Join-Path $env:SECURECONNECT_HOME 'workspace.json'
        if (Test-Path $path) { Get-Content -Raw $path } else { '' }
    }

    function Get-ParameterValue([string] $Parameter, [string] $Value) {
        switch ($Value) {
            'credential' { [pscredential]::new('app', (ConvertTo-SecureString 'not-used' -AsPlainText -Force)) }
            'option' { @{ Timeout = 30 } }
            default { $Value }
        }
    }

    function Invoke-RedisPing([string] $HostName, [int] $Port) {
        # PING over a raw TCP connection; the answer as the server wrote it (+PONG). Timeouts only bound a hang.
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            if (-not $client.ConnectAsync($HostName, $Port).Wait(10000)) { throw "no TCP connection to ${HostName}:$Port within 10 s" }
            $stream = $client.GetStream()
            $stream.ReadTimeout = 10000
            $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
            $stream.Write($ping, 0, $ping.Length)
            $buffer = [byte[]]::new(64)
            $n = $stream.Read($buffer, 0, $buffer.Length)
            [Text.Encoding]::ASCII.GetString($buffer, 0, $n).Trim()
        }
        finally { $client.Dispose() }
    }

    function Initialize-LabTunnelTest {
        # A fresh workspace whose key the bastion accepts and whose known_hosts trusts it; the tunnels that are already
        # up in this process (another file's) are remembered, so this test counts only its own.
        $script:preexistingIds = @(Get-SshTunnel | ForEach-Object Id)
        Initialize-LabWorkspace
    }

    function Get-TestTunnels {
        @(Get-SshTunnel | Where-Object { $preexistingIds -notcontains $_.Id -and "$($_.State)" -ne 'Stopped' })
    }

    function New-RedisTunnelIntegration([string] $Name = 'My SSH tunnel') {
        New-SecureIntegration -Type SshTunnel -Name $Name -HostName $lab.redis.hostName -Port $lab.redis.port @ssh
    }
}

AfterAll {
    if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel }
    if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
}

Describe 'New-SecureIntegration -Type SshTunnel' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'saves a tunnel definition named in free text, with no SSL mode, and how to use it' {
        $i = New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route

        $i | Should -BeOfType ([SecureConnect.Integration])
        $saved = Get-SecureIntegration -Name 'My SSH tunnel'
        "$($saved.Type)" | Should -Be 'SshTunnel'
        $saved.HostName | Should -Be 'mlflow.internal'
        $saved.Port | Should -Be 5000
        $saved.SshBastion | Should -Be 'bastion.example.test'
        $saved.SshBastionPort | Should -Be 2222
        $saved.SshUser | Should -Be 'tunnel'
        $saved.SslMode | Should -BeNullOrEmpty
        $saved.SslModeSource | Should -Be 'NotApplicable'
        $saved.LocalHostVariable | Should -BeExactly 'MY_SSH_TUNNEL_LOCAL_HOST'
        $saved.LocalPortVariable | Should -BeExactly 'MY_SSH_TUNNEL_LOCAL_PORT'
        $saved.PowerShellExample | Should -BeExactly 'Invoke-RestMethod "http://$($env:MY_SSH_TUNNEL_LOCAL_HOST):$($env:MY_SSH_TUNNEL_LOCAL_PORT)/"'
        $saved.PythonExample | Should -BeExactly 'import os, requests; requests.get(f"http://{os.environ[''MY_SSH_TUNNEL_LOCAL_HOST'']}:{os.environ[''MY_SSH_TUNNEL_LOCAL_PORT'']}/")'
        $json = (Get-WorkspaceJson | ConvertFrom-Json -AsHashtable).integrations['My SSH tunnel']
        $json.type | Should -Be 'SshTunnel'
        $json.Keys | Should -Not -Contain 'sslMode'
    }

    It 'shows the variables and both lines of code in the list view, and no database settings' {
        New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route | Out-Null

        $text = Get-SecureIntegration 'My SSH tunnel' | Format-List | Out-String -Width 300

        $text | Should -Match 'LocalHostVariable\s+: MY_SSH_TUNNEL_LOCAL_HOST'
        $text | Should -Match ([regex]::Escape('Invoke-RestMethod "http://$($env:MY_SSH_TUNNEL_LOCAL_HOST)'))
        $text | Should -Match ([regex]::Escape("requests.get(f`"http://{os.environ['MY_SSH_TUNNEL_LOCAL_HOST']}"))
        $text | Should -Not -Match 'SslMode|Database|HasSessionCredential'
    }

    It 'needs -Port: PortRequired, and nothing is written' {
        New-SecureIntegration -Name keep -Type PostgreSQL -HostName db.example.test | Out-Null
        $before = Get-WorkspaceJson

        { New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal @Route -ErrorAction Stop } |
            Should -Throw -ErrorId "PortRequired,$($Id.New)"
        Get-WorkspaceJson | Should -BeExactly $before
    }

    It 'needs a bastion: SshBastionRequired, and nothing is written' {
        New-SecureIntegration -Name keep -Type PostgreSQL -HostName db.example.test | Out-Null
        $before = Get-WorkspaceJson

        { New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 -ErrorAction Stop } |
            Should -Throw -ErrorId "SshBastionRequired,$($Id.New)"
        Get-WorkspaceJson | Should -BeExactly $before
    }

    It 'refuses -<Parameter>: ParameterNotApplicable, and nothing is written' -TestCases $NotApplicable {
        New-SecureIntegration -Name keep -Type PostgreSQL -HostName db.example.test | Out-Null
        $before = Get-WorkspaceJson
        $extra = @{ $Parameter = Get-ParameterValue $Parameter $Value }

        { New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route @extra -ErrorAction Stop } |
            Should -Throw -ErrorId "ParameterNotApplicable,$($Id.New)"
        Get-WorkspaceJson | Should -BeExactly $before
        @(Get-ChildItem -Path (Join-Path $ws 'ca') -File -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
    }

    It 'refuses a second tunnel whose name sets the same variables: TunnelNameConflict' {
        New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route | Out-Null

        { New-SecureIntegration -Type SshTunnel -Name 'my-ssh-tunnel' -HostName other.internal -Port 6000 @Route -ErrorAction Stop } |
            Should -Throw -ErrorId "TunnelNameConflict,$($Id.New)"
        @(Get-SecureIntegration).Name | Should -Be @('My SSH tunnel')
    }
}

Describe 'Set-SecureIntegration and the SSL policy on a saved tunnel' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route | Out-Null
        New-SecureIntegration -Name orders -Type PostgreSQL -HostName db.example.test | Out-Null
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'changes the route and the port' {
        $changed = Set-SecureIntegration -Name 'My SSH tunnel' -Port 6000 -SshBastion 'other.example.test' -PassThru

        $changed.Port | Should -Be 6000
        (Get-SecureIntegration 'My SSH tunnel').SshBastion | Should -Be 'other.example.test'
    }

    It 'refuses -<Parameter> as New-SecureIntegration does, and leaves the integration as it was' -TestCases $NotApplicable {
        $before = Get-WorkspaceJson
        $extra = @{ $Parameter = Get-ParameterValue $Parameter $Value }

        { Set-SecureIntegration -Name 'My SSH tunnel' @extra -ErrorAction Stop } | Should -Throw -ErrorId "ParameterNotApplicable,$($Id.Set)"
        Get-WorkspaceJson | Should -BeExactly $before
        (Get-SecureIntegration 'My SSH tunnel').HasSessionCredential | Should -BeFalse
    }

    It 'refuses -NoSsh: SshBastionRequired, and the bastion stays' {
        $before = Get-WorkspaceJson

        { Set-SecureIntegration -Name 'My SSH tunnel' -NoSsh -ErrorAction Stop } | Should -Throw -ErrorId "SshBastionRequired,$($Id.Set)"
        Get-WorkspaceJson | Should -BeExactly $before
    }

    It 'Set-SslPolicy refuses a mode for it (ParameterNotApplicable) and Get-SslPolicy lists only the database' {
        $before = Get-WorkspaceJson

        { Set-SslPolicy -Integration 'My SSH tunnel' -Mode VerifyFull -ErrorAction Stop } | Should -Throw -ErrorId "ParameterNotApplicable,$($Id.Policy)"
        Get-WorkspaceJson | Should -BeExactly $before
        @(Get-SslPolicy | Where-Object Scope -eq 'Integration').Integration | Should -Be @('orders')
        Get-SslPolicy -Integration 'My SSH tunnel' | Should -BeNullOrEmpty
    }

    It 'Invoke-SecureQuery on it is IntegrationNotQueryable, before a workspace minimum is checked' {
        Set-SslPolicy -Minimum VerifyFull | Out-Null

        { Invoke-SecureQuery -Integration 'My SSH tunnel' -Query 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotQueryable,$($Id.Query)"
        { Get-SecureIntegration 'My SSH tunnel' | Invoke-SecureQuery -Query 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotQueryable,$($Id.Query)"
    }

    It 'Test-SecureConnection on it is IntegrationNotQueryable' {
        { Test-SecureConnection -Integration 'My SSH tunnel' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotQueryable,$($Id.Test)"
    }
}

Describe 'Start-SshTunnel -Integration without starting anything' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName mlflow.internal -Port 5000 @Route | Out-Null
        New-SecureIntegration -Name direct-db -Type PostgreSQL -HostName db.example.test | Out-Null
        $script:before = @(Get-SshTunnel | ForEach-Object Id)
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'binds a piped Integration object to -Integration, not to -Name (-WhatIf)' {
        $err = $null
        Get-SecureIntegration 'My SSH tunnel' | Start-SshTunnel -WhatIf -ErrorVariable err
        $err | Should -BeNullOrEmpty
        @(Get-SshTunnel | Where-Object { $before -notcontains $_.Id }) | Should -BeNullOrEmpty
    }

    It 'binds a deserialized Integration object (as from a job or remoting) to -Integration (-WhatIf)' {
        $deserialized = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SecureIntegration 'My SSH tunnel')))
        $deserialized.PSObject.TypeNames[0] | Should -Be 'Deserialized.SecureConnect.Integration'

        $err = $null
        $deserialized | Start-SshTunnel -WhatIf -ErrorVariable err
        $err | Should -BeNullOrEmpty
    }

    It 'a wildcard that matches no saved tunnel is no error and starts nothing' {
        $err = $null
        $out = Start-SshTunnel -Integration 'nothing*', 'direct*' -ErrorVariable err
        $out | Should -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
    }

    It 'a name that does not exist is IntegrationNotFound' {
        { Start-SshTunnel -Integration 'missing' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$($Id.Start)"
    }

    It 'a database integration that connects directly has no tunnel: SshBastionRequired' {
        { Start-SshTunnel -Integration 'direct-db' -ErrorAction Stop } | Should -Throw -ErrorId "SshBastionRequired,$($Id.Start)"
    }
}

Describe 'Start-SshTunnel -Integration through the lab bastion' -Tag Lab {
    BeforeEach { Initialize-LabTunnelTest }
    AfterEach { Remove-LabWorkspace }

    It 'starts a saved tunnel to Redis that a raw TCP client reaches with only MY_SSH_TUNNEL_LOCAL_HOST and _PORT' -Skip:(Skip-When $NoRedis) {
        New-RedisTunnelIntegration | Out-Null
        $env:MY_SSH_TUNNEL_LOCAL_HOST | Should -BeNullOrEmpty -Because 'only the start sets the variables'

        $tunnel = Start-SshTunnel -Integration 'My SSH tunnel'

        $tunnel.Name | Should -Be 'My SSH tunnel'
        "$($tunnel.State)" | Should -Be 'Up'
        $env:MY_SSH_TUNNEL_LOCAL_PORT | Should -Not -Be "$($lab.redis.port)" -Because 'the client goes to the local end of the tunnel'
        Invoke-RedisPing $env:MY_SSH_TUNNEL_LOCAL_HOST ([int]$env:MY_SSH_TUNNEL_LOCAL_PORT) | Should -BeExactly '+PONG'
    }

    It 'reaches an HTTP service behind the bastion with Invoke-RestMethod, through the two variables only' -Skip:(Skip-When $NoHttp) {
        New-SecureIntegration -Type SshTunnel -Name 'Model registry' -HostName $lab.http.hostName -Port $lab.http.port @ssh | Out-Null

        $tunnel = Start-SshTunnel -Integration 'Model registry'

        "$($tunnel.State)" | Should -Be 'Up'
        $reply = Invoke-RestMethod "http://$($env:MODEL_REGISTRY_LOCAL_HOST):$($env:MODEL_REGISTRY_LOCAL_PORT)/api/2.0/experiments" -TimeoutSec 20
        $reply.service | Should -Be 'secureconnect-lab-http' -Because 'the lab service answered, not something else on that port'
        $reply.path | Should -Be '/api/2.0/experiments'
        $reply.method | Should -Be 'GET'
    }

    It 'starting it again returns the running tunnel (same Id)' -Skip:(Skip-When $NoRedis) {
        New-RedisTunnelIntegration | Out-Null

        $first = Start-SshTunnel -Integration 'My SSH tunnel'
        $again = Start-SshTunnel -Integration 'My SSH tunnel'

        $again.Id | Should -Be $first.Id
        @(Get-TestTunnels).Count | Should -Be 1
    }

    It 'starts from the pipeline, live and deserialized, as the same tunnel' -Skip:(Skip-When $NoRedis) {
        New-RedisTunnelIntegration | Out-Null

        $piped = Get-SecureIntegration 'My SSH tunnel' | Start-SshTunnel
        $deserialized = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SecureIntegration 'My SSH tunnel')))
        $fromJob = $deserialized | Start-SshTunnel

        $piped.Name | Should -Be 'My SSH tunnel'
        $fromJob.Id | Should -Be $piped.Id
        Invoke-RedisPing $env:MY_SSH_TUNNEL_LOCAL_HOST ([int]$env:MY_SSH_TUNNEL_LOCAL_PORT) | Should -BeExactly '+PONG'
    }

    It '-Integration * starts every saved tunnel integration and skips the database integrations' -Skip:(Skip-When $NoRedisMaria) {
        New-RedisTunnelIntegration 'cache' | Out-Null
        New-SecureIntegration -Type SshTunnel -Name 'Maria TCP' -HostName $lab.mariadb.hostName -Port $lab.mariadb.port @ssh | Out-Null
        New-SecureIntegration -Name orders -Type PostgreSQL -HostName $lab.postgresTls.hostName -Port $lab.postgresTls.port @ssh | Out-Null

        $started = @(Start-SshTunnel -Integration *)

        @($started.Name | Sort-Object) | Should -Be @('cache', 'Maria TCP')
        @($started.Id | Sort-Object -Unique).Count | Should -Be 2
        @(Get-TestTunnels).Count | Should -Be 2
        $env:ORDERS_LOCAL_PORT | Should -BeNullOrEmpty
        Invoke-RedisPing $env:CACHE_LOCAL_HOST ([int]$env:CACHE_LOCAL_PORT) | Should -BeExactly '+PONG'
        $env:MARIA_TCP_LOCAL_PORT | Should -Be "$(($started | Where-Object Name -eq 'Maria TCP').LocalPort)"
    }

    It 'an explicit database integration name starts its tunnel to the database, named after it' -Skip:(Skip-When $NoRedisPg) {
        New-SecureIntegration -Name orders -Type PostgreSQL -HostName $lab.postgresTls.hostName -Port $lab.postgresTls.port @ssh | Out-Null

        $tunnel = Start-SshTunnel -Integration orders

        $tunnel.Name | Should -Be 'orders'
        $tunnel.RemoteHost | Should -Be $lab.postgresTls.hostName
        $tunnel.RemotePort | Should -Be $lab.postgresTls.port
        $env:ORDERS_LOCAL_PORT | Should -Be "$($tunnel.LocalPort)"
    }

    It 'a missing name is IntegrationNotFound for that name only; the others still start' -Skip:(Skip-When $NoRedis) {
        New-RedisTunnelIntegration | Out-Null
        $err = $null

        $started = @(Start-SshTunnel -Integration 'missing', 'My SSH tunnel' -ErrorVariable err -ErrorAction SilentlyContinue)

        $started.Name | Should -Be @('My SSH tunnel')
        @($err).Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be "IntegrationNotFound,$($Id.Start)"
        $err[0].TargetObject | Should -Be 'missing'
    }
}
