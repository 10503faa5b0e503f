# Dremio through the lab's REAL OpenSSH bastion. No Dremio runs on these machines, so the server is the Arrow Flight
# TEST DOUBLE (tests/FlightDouble, also hosted in-process by the xunit Dremio tests), started here in the lab's database
# network (in netns mode reachable ONLY through the bastion): HTTP/2 over TLS with the lab's certificate and login on
# 32010, h2c (no TLS) on 32011. Every SSL mode, Preferred's fallback, basic and token logins, typed rows from the
# record batches, a cancel, server errors. A real Dremio is tested when SECURECONNECT_TEST_DREMIO says where one is.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode: its host names are addresses" } else { $null }
    $NoRealServer = if ($env:SECURECONNECT_TEST_DREMIO) { $null } else { 'SECURECONNECT_TEST_DREMIO is not set (a JSON object: host, port, user, password, authMode Basic or Token, and caPath when the CA is private)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:QueryError = 'SecureConnect.Commands.InvokeSecureQueryCommand'
    $script:doubles = @()
    $script:token = 'pat-' + [guid]::NewGuid().ToString('N')

    function New-DremioIntegration {
        # Through the bastion; VerifyFull with the lab CA and the lab's login unless the case says otherwise.
        param([string] $Name, [hashtable] $Extra = @{})
        $db = $lab.postgresTls
        $params = @{
            Name = $Name; Type = 'Dremio'; HostName = $db.hostName
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $db
        }
        foreach ($k in $Extra.Keys) { if ($null -eq $Extra[$k]) { $params.Remove($k) } else { $params[$k] = $Extra[$k] } }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    if ($lab -and $lab.bastion.available) {
        $db = $lab.postgresTls
        $key = $lab.ca.serverCertPath -replace 'server\.crt$', 'server.key'
        $login = @('--user', $db.user, '--password', $db.password, '--token', $token)
        $script:doubles += Start-TestDouble Flight -Address $db.host -Port 32010 -Namespace $lab.dbNamespace `
            -Arguments (@('--tls-cert', $lab.ca.serverCertPath, '--tls-key', $key) + $login)
        $script:doubles += Start-TestDouble Flight -Address $db.host -Port 32011 -Namespace $lab.dbNamespace -Arguments $login
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        foreach ($d in $doubles) { Stop-TestDouble $d }
        if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
    }
}

Describe 'Dremio integrations and SSL modes through the bastion (against the Arrow Flight double)' -Tag Lab {
    BeforeAll { if ($lab) { Initialize-LabWorkspace } }
    AfterAll { Remove-LabWorkspace }
    AfterEach { if ($lab) { Get-SecureIntegration | Remove-SecureIntegration -Confirm:$false } }

    It 'stores 32010, the Arrow Flight port, when no -Port is given' -Skip:(Skip-When $NoLab) {
        (New-DremioIntegration 'dremio').Port | Should -Be 32010
    }

    It 'connects under <Mode> over TLS with the server''s real name, and says what was checked' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Preferred'; Validated = $false; NameChecked = $false }
        @{ Mode = 'Required'; Validated = $false; NameChecked = $false }
        @{ Mode = 'VerifyCA'; Validated = $true; NameChecked = $false }
        @{ Mode = 'VerifyFull'; Validated = $true; NameChecked = $true }
    ) {
        New-DremioIntegration 'dremio' -Extra @{ SslMode = $Mode } | Out-Null
        $report = Test-SecureConnection dremio -ErrorAction Stop -WarningAction SilentlyContinue
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -Match 'Tls1[23]|TLSv1\.[23]'
        $report.CertificateValidated | Should -Be $Validated
        $report.HostNameVerified | Should -Be $NameChecked
        $report.CertificateSubject | Should -Match 'CN=db\.lab\.internal'
        $report.Via | Should -Match 'SSH tunnel'
        $report.ServerVersion | Should -Match 'flightdouble'
        @(Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
    }

    It 'falls back to h2c under Preferred only when the server does not speak TLS, and says so' -Skip:(Skip-When $NoLab) {
        New-DremioIntegration 'dremio' -Extra @{ SslMode = 'Preferred'; Port = 32011; CaCertificatePath = $null } | Out-Null
        $report = Test-SecureConnection dremio -ErrorAction Stop -WarningAction SilentlyContinue
        $report.Encrypted | Should -BeFalse
        $report.Warnings -join ' ' | Should -Match 'NOT encrypted'
        @(Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
    }

    It 'refuses a server without TLS under <Mode> with SslNotAvailable' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Required' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-DremioIntegration 'dremio' -Extra @{ SslMode = $Mode; Port = 32011 } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslNotAvailable,$QueryError"
    }

    It 'refuses a certificate from the rogue CA under <Mode>' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'VerifyCA' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-DremioIntegration 'dremio' -Extra @{ SslMode = $Mode; CaCertificatePath = $lab.ca.rogueCaPath } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'refuses, under VerifyFull, a name the certificate does not hold, though the tunnel reaches the same server' -Skip:(Skip-When $NoNetns) {
        New-DremioIntegration 'dremio' -Extra @{ HostName = 'bastion2.lab.internal' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'reports a wrong password as DatabaseAuthenticationFailed, with no password in the message' -Skip:(Skip-When $NoLab) {
        New-DremioIntegration 'dremio' -Extra @{ Credential = New-LabCredential $lab.postgresTls 'not-the-password' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($lab.postgresTls.password))
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }

    It 'logs in with a personal access token (AuthMode Token), and refuses a wrong one' -Skip:(Skip-When $NoLab) {
        $pat = [pscredential]::new('token', (ConvertTo-SecureText $token))
        New-DremioIntegration 'dremio' -Extra @{ Credential = $pat; Option = @{ AuthMode = 'Token' } } | Out-Null
        @(Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
        $wrong = [pscredential]::new('token', (ConvertTo-SecureText 'pat-wrong'))
        Set-SecureIntegration dremio -Credential $wrong
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Not -Match 'pat-'
    }
}

Describe 'Dremio rows from Arrow record batches (against the Arrow Flight double)' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-DremioIntegration 'dremio' | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'reads the people as typed rows: decimal, a UTC timestamp, NULL as $null' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop)
        $rows.Count | Should -Be 5
        $rows[3].name | Should -BeExactly 'Zoë Müller'
        $rows[0].score | Should -BeOfType ([decimal])
        $rows[0].score | Should -Be 98.50d
        ([DateTimeOffset]$rows[0].joined).UtcDateTime | Should -Be ([datetime]::new(2024, 1, 15, 9, 30, 0, [DateTimeKind]::Utc))
        $null -eq ($rows | Where-Object { $_.name -eq 'Grace Hopper' }).note | Should -BeTrue
    }

    It 'reads every common Arrow type: lists as arrays, a struct as a nested object' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery dremio 'SELECT * FROM types' -ErrorAction Stop)
        $rows.Count | Should -Be 2
        $typed = @($rows[0].PSObject.Properties | Where-Object { $null -ne $_.Value })
        $typed.Count | Should -BeGreaterThan 10
        @($rows[0].PSObject.Properties | Where-Object { $_.Value -is [array] }).Count | Should -BeGreaterThan 0 -Because 'a list column comes out as an array'
        @($rows[0].PSObject.Properties | Where-Object { $_.Value -is [psobject] -and $_.Value.PSObject.Properties['city'] }).Count | Should -Be 1 -Because 'the struct comes out as a nested object'
        @($rows[1].PSObject.Properties | Where-Object { $null -ne $_.Value }).Count | Should -Be 0 -Because 'row 1 is null in every column'
    }

    It 'streams every batch (100000 rows)' -Skip:(Skip-When $NoLab) {
        $count = 0
        Invoke-SecureQuery dremio 'SELECT * FROM numbers' -ErrorAction Stop | ForEach-Object { $count++ }
        $count | Should -Be 100000
    }

    It 'cancels the stream on the server when the pipeline stops early' -Skip:(Skip-When $NoLab) {
        $before = (Invoke-SecureQuery dremio 'SELECT * FROM double_stats' -ErrorAction Stop).cancellations
        $first = @(Invoke-SecureQuery dremio 'SELECT * FROM numbers' -ErrorAction Stop | Select-Object -First 5)
        $first.Count | Should -Be 5
        Wait-Until { (Invoke-SecureQuery dremio 'SELECT * FROM double_stats' -ErrorAction Stop).cancellations -ge $before + 1 } 15 |
            Should -BeTrue -Because 'the stopped DoGet must be cancelled on the server'
    }

    It 'reports a refused query as QueryFailed with the gRPC status, and an error after rows the same way' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM fail' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'InvalidArgument'
        $after = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM failafter' -ErrorAction Stop | Out-Null }
        $after.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
    }

    It 'never fetches an endpoint at another server, out of the tunnel' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery dremio 'SELECT * FROM elsewhere' -ErrorAction Stop | Out-Null }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'other\.example\.internal'
    }

    It 'is a terminating QueryInterrupted saying how many rows came, when the bastion dies while batches stream' -Skip:(Skip-When $NoLab) {
        $labScript = Join-Path $PSScriptRoot 'lab/lab.sh'
        $seen = 0
        $caught = $null
        try {
            Invoke-SecureQuery dremio 'SELECT * FROM numbers' | ForEach-Object {
                $seen++
                if ($seen -eq 2000) {
                    $out = & bash $labScript restart-sshd bastion 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "restart-sshd failed: $out" }
                }
            }
        }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because "the stream was cut after $seen of 100000 rows"
        $caught.FullyQualifiedErrorId | Should -Be "QueryInterrupted,$QueryError"
        $caught.Exception.Message | Should -Match "$seen rows"
        Wait-Until { (Get-SshTunnel | Where-Object RemoteHost -eq $lab.postgresTls.hostName).State -eq 'Up' } 30 | Should -BeTrue
        @(Invoke-SecureQuery dremio 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
    }
}

Describe 'Dremio, a real server' -Tag RealServer {
    It 'connects and reads typed rows' -Skip:(Skip-When $NoRealServer) {
        $cfg = $env:SECURECONNECT_TEST_DREMIO | ConvertFrom-Json
        $ws = New-TestWorkspace
        try {
            $params = @{ Name = 'real'; Type = 'Dremio'; HostName = $cfg.host; Port = $(if ($cfg.port) { [int]$cfg.port } else { 32010 }); SslMode = 'VerifyFull' }
            $params.Credential = [pscredential]::new($cfg.user, (ConvertTo-SecureText $cfg.password))
            if ($cfg.authMode) { $params.Option = @{ AuthMode = $cfg.authMode } }
            if ($cfg.caPath) { $params.CaCertificatePath = $cfg.caPath }
            New-SecureIntegration @params -ErrorAction Stop | Out-Null
            $r = Invoke-SecureQuery real "SELECT CAST(42 AS BIGINT) AS n, 'x' AS s" -ErrorAction Stop
            $r.n | Should -BeOfType ([long])
            $r.s | Should -BeExactly 'x'
        }
        finally { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }
    }
}
