# Trino through the lab's REAL OpenSSH bastion. No Trino runs on these machines, so the coordinator is the Trino TEST
# DOUBLE (tests/TrinoDouble, checked by the trino-client JavaScript library in TrinoDouble.Tests.ps1), started here in
# the lab's database network (in netns mode reachable ONLY through the bastion): HTTPS with the lab's certificate and
# login on 18443, plain HTTP (no password) on 18080 (the lab's ClickHouse has 8443 there). Every SSL mode, Preferred's fallback, typed rows, paging, a cancel,
# server errors. A real coordinator is tested when SECURECONNECT_TEST_TRINO says where one is.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode: its host names are addresses" } else { $null }
    $NoRealServer = if ($env:SECURECONNECT_TEST_TRINO) { $null } else { 'SECURECONNECT_TEST_TRINO is not set (a JSON object: url, user, password, and caPath, catalog, schema when needed)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:QueryError = 'SecureConnect.Commands.InvokeSecureQueryCommand'
    $script:doubles = @()

    function New-TrinoIntegration {
        # Through the bastion; VerifyFull with the lab CA and the lab's login unless the case says otherwise.
        param([string] $Name, [hashtable] $Extra = @{})
        $db = $lab.postgresTls
        $params = @{
            Name = $Name; Type = 'Trino'; HostName = $db.hostName; Port = 18443; Database = 'memory.default'
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $db
        }
        foreach ($k in $Extra.Keys) { if ($null -eq $Extra[$k]) { $params.Remove($k) } else { $params[$k] = $Extra[$k] } }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    function Get-PlainDoubleStats {
        # The plain double's counters, read through a tunnel of the same workspace (the double is behind the bastion).
        $tunnel = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user `
            -RemoteHost $lab.postgresTls.hostName -RemotePort 18080 -ErrorAction Stop
        Invoke-RestMethod "http://127.0.0.1:$($tunnel.LocalPort)/v1/doubleStats" -TimeoutSec 20
    }

    if ($lab -and $lab.bastion.available) {
        $db = $lab.postgresTls
        $key = $lab.ca.serverCertPath -replace 'server\.crt$', 'server.key'
        $script:doubles += Start-TestDouble Trino -Address $db.host -Port 18443 -Namespace $lab.dbNamespace `
            -Arguments @('--tls-cert', $lab.ca.serverCertPath, '--tls-key', $key, '--user', $db.user, '--password', $db.password)
        $script:doubles += Start-TestDouble Trino -Address $db.host -Port 18080 -Namespace $lab.dbNamespace -Arguments @()
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        foreach ($d in $doubles) { Stop-TestDouble $d }
        if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
    }
}

Describe 'Trino integrations and SSL modes through the bastion (against the coordinator double)' -Tag Lab {
    BeforeAll { if ($lab) { Initialize-LabWorkspace } }
    AfterAll { Remove-LabWorkspace }
    AfterEach { if ($lab) { Get-SecureIntegration | Remove-SecureIntegration -Confirm:$false } }

    It 'stores 8443, the HTTPS port, when no -Port is given' -Skip:(Skip-When $NoLab) {
        (New-TrinoIntegration 'trino' -Extra @{ Port = $null }).Port | Should -Be 8443
    }

    It 'connects under <Mode> over HTTPS with the server''s real name, and says what was checked' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Preferred'; Validated = $false; NameChecked = $false }
        @{ Mode = 'Required'; Validated = $false; NameChecked = $false }
        @{ Mode = 'VerifyCA'; Validated = $true; NameChecked = $false }
        @{ Mode = 'VerifyFull'; Validated = $true; NameChecked = $true }
    ) {
        New-TrinoIntegration 'trino' -Extra @{ SslMode = $Mode } | Out-Null
        $report = Test-SecureConnection trino -ErrorAction Stop -WarningAction SilentlyContinue
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -Match 'Tls1[23]|TLSv1\.[23]'
        $report.CertificateValidated | Should -Be $Validated
        $report.HostNameVerified | Should -Be $NameChecked
        $report.CertificateSubject | Should -Match 'CN=db\.lab\.internal'
        $report.Via | Should -Match 'SSH tunnel'
        $report.ServerVersion | Should -Match 'double'
        @(Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
    }

    It 'falls back to plain HTTP under Preferred when the port does not speak TLS and no password must travel' -Skip:(Skip-When $NoLab) {
        $userOnly = [pscredential]::new($lab.postgresTls.user, [securestring]::new())
        New-TrinoIntegration 'trino' -Extra @{ SslMode = 'Preferred'; Port = 18080; CaCertificatePath = $null; Credential = $userOnly } | Out-Null
        $report = Test-SecureConnection trino -ErrorAction Stop -WarningAction SilentlyContinue
        $report.Encrypted | Should -BeFalse
        $report.Warnings -join ' ' | Should -Match 'NOT encrypted'
        @(Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop).Count | Should -Be 5
    }

    It 'never sends a password over plain HTTP: Preferred with a password on the plain port is SslNotAvailable' -Skip:(Skip-When $NoLab) {
        New-TrinoIntegration 'trino' -Extra @{ SslMode = 'Preferred'; Port = 18080; CaCertificatePath = $null } | Out-Null
        $before = (Get-PlainDoubleStats).statements
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslNotAvailable,$QueryError"
        (Get-PlainDoubleStats).statements | Should -Be $before -Because 'the statement must not have been sent with the password in clear'
    }

    It 'refuses the plain port under <Mode> with SslNotAvailable' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Required' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-TrinoIntegration 'trino' -Extra @{ SslMode = $Mode; Port = 18080 } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslNotAvailable,$QueryError"
    }

    It 'refuses a certificate from the rogue CA under <Mode>' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'VerifyCA' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-TrinoIntegration 'trino' -Extra @{ SslMode = $Mode; CaCertificatePath = $lab.ca.rogueCaPath } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'refuses, under VerifyFull, a name the certificate does not hold, though the tunnel reaches the same server' -Skip:(Skip-When $NoNetns) {
        New-TrinoIntegration 'trino' -Extra @{ HostName = 'bastion2.lab.internal' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'reports a wrong password as DatabaseAuthenticationFailed, with no password in the message' -Skip:(Skip-When $NoLab) {
        New-TrinoIntegration 'trino' -Extra @{ Credential = New-LabCredential $lab.postgresTls 'not-the-password' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($lab.postgresTls.password))
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }
}

Describe 'Trino rows (against the coordinator double)' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-TrinoIntegration 'trino' | Out-Null
            $userOnly = [pscredential]::new($lab.postgresTls.user, [securestring]::new())
            New-TrinoIntegration 'plain' -Extra @{ SslMode = 'Preferred'; Port = 18080; CaCertificatePath = $null; Credential = $userOnly } | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'reads the people as typed rows: decimal, a timestamp with time zone, NULL as $null' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery trino 'SELECT * FROM people' -ErrorAction Stop)
        $rows.id | Should -Be @(1, 2, 3, 4, 5)
        $rows[3].name | Should -BeExactly 'Zoë Müller'
        $rows[0].score | Should -BeOfType ([decimal])
        $rows[0].score | Should -Be 98.50d
        ([DateTimeOffset]$rows[0].joined).UtcDateTime | Should -Be ([datetime]::new(2024, 1, 15, 9, 30, 0, [DateTimeKind]::Utc))
        $null -eq $rows[2].note | Should -BeTrue
    }

    It 'follows nextUri through every page (10000 rows in pages of 1000)' -Skip:(Skip-When $NoLab) {
        $count = 0
        Invoke-SecureQuery trino 'SELECT * FROM numbers' -ErrorAction Stop | ForEach-Object { $count++ }
        $count | Should -Be 10000
    }

    It 'cancels the query on the coordinator (DELETE) when the pipeline stops early' -Skip:(Skip-When $NoLab) {
        $before = @((Get-PlainDoubleStats).cancelledQueries).Count
        $first = @(Invoke-SecureQuery plain 'SELECT * FROM numbers' -ErrorAction Stop | Select-Object -First 5)
        $first.Count | Should -Be 5
        Wait-Until { @((Get-PlainDoubleStats).cancelledQueries).Count -eq $before + 1 } 15 | Should -BeTrue -Because 'the stopped query must be cancelled on the coordinator'
    }

    It 'raises an error the coordinator reports after rows, with its name, never a short result' -Skip:(Skip-When $NoLab) {
        $count = [ref]0
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM fails_midway' -ErrorAction Stop | ForEach-Object { $count.Value++ } }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'DIVISION_BY_ZERO'
        $count.Value | Should -BeLessOrEqual 1000
    }

    It 'is QueryInterrupted when the query is gone (410) after some pages' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM gone' -ErrorAction Stop | Out-Null }
        $err.FullyQualifiedErrorId | Should -Be "QueryInterrupted,$QueryError"
    }

    It 'never follows a nextUri to another host out of the tunnel' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELECT * FROM foreign_next' -ErrorAction Stop | Out-Null }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'elsewhere\.example'
    }

    It 'retries a coordinator that answers 503, and gets the whole result' -Skip:(Skip-When $NoLab) {
        @(Invoke-SecureQuery trino 'SELECT * FROM flaky' -ErrorAction Stop).Count | Should -Be 5
    }

    It 'sends -Parameters as a prepared statement with typed literals, never spliced into the text' -Skip:(Skip-When $NoLab) {
        $row = Invoke-SecureQuery trino 'SELECT * FROM people WHERE id = @id AND name = @name' -Parameters @{ id = 3; name = "O'Brien" } -ErrorAction Stop
        ($row | ConvertTo-Json -Compress) | Should -Match '\?'
        ($row | ConvertTo-Json -Compress) | Should -Match "O''Brien"
    }

    It 'reports a statement the coordinator refuses as QueryFailed with its error name' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery trino 'SELEC nonsense' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'SYNTAX_ERROR'
    }
}

Describe 'Trino, a real coordinator' -Tag RealServer {
    It 'connects and reads typed rows' -Skip:(Skip-When $NoRealServer) {
        $cfg = $env:SECURECONNECT_TEST_TRINO | ConvertFrom-Json
        $uri = [uri]$cfg.url
        $ws = New-TestWorkspace
        try {
            $params = @{ Name = 'real'; Type = 'Trino'; HostName = $uri.Host; Port = $uri.Port; SslMode = $(if ($uri.Scheme -eq 'https') { 'VerifyFull' } else { 'Preferred' }) }
            $params.Credential = [pscredential]::new($cfg.user, $(if ($cfg.password) { ConvertTo-SecureText $cfg.password } else { [securestring]::new() }))
            if ($cfg.caPath) { $params.CaCertificatePath = $cfg.caPath }
            if ($cfg.catalog) { $params.Option = @{ Catalog = $cfg.catalog; Schema = $cfg.schema } }
            New-SecureIntegration @params -ErrorAction Stop | Out-Null
            $r = Invoke-SecureQuery real "SELECT BIGINT '42' AS n, 'x' AS s, DECIMAL '1.50' AS d" -ErrorAction Stop
            $r.n | Should -BeOfType ([long])
            $r.d | Should -BeOfType ([decimal])
        }
        finally { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }
    }
}
