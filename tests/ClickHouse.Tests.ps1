# ClickHouse against the lab's REAL server (Debian's clickhouse-server 18.16), over its HTTP interface, every
# connection through the lab's OpenSSH bastion (in netns mode the server is reachable ONLY through it): every SSL mode,
# the plaintext fallback of Preferred, typed rows, an exception the server sends after rows, streaming and stopping,
# parameters, a cut stream, and a current server when SECURECONNECT_TEST_CLICKHOUSE says where one is.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.clickhouse.available) { "the lab has no ClickHouse: $($lab.clickhouse.reason)" }
    else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode: its host names are addresses" } else { $null }
    $NoRealServer = if ($env:SECURECONNECT_TEST_CLICKHOUSE) { $null } else { 'SECURECONNECT_TEST_CLICKHOUSE is not set (a JSON object: url, user, password, and caPath when the server''s CA is private)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:QueryError = 'SecureConnect.Commands.InvokeSecureQueryCommand'
    $script:TestError = 'SecureConnect.Commands.TestSecureConnectionCommand'

    function New-ClickHouseIntegration {
        # Through the bastion, with the lab's login; VerifyFull with the lab CA unless the case says otherwise.
        param([string] $Name, [hashtable] $Extra = @{})
        $ch = $lab.clickhouse
        $params = @{
            Name = $Name; Type = 'ClickHouse'; HostName = $ch.hostName; Database = $ch.database
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $ch
        }
        # A $null in -Extra leaves the parameter out.
        foreach ($k in $Extra.Keys) { if ($null -eq $Extra[$k]) { $params.Remove($k) } else { $params[$k] = $Extra[$k] } }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'ClickHouse integrations and SSL modes through the bastion' -Tag Lab {
    BeforeAll { if ($lab) { Initialize-LabWorkspace } }
    AfterAll { Remove-LabWorkspace }
    AfterEach { if ($lab) { Get-SecureIntegration | Remove-SecureIntegration -Confirm:$false } }

    It 'stores 8443, the HTTPS port, when no -Port is given' -Skip:(Skip-When $NoLab) {
        (New-ClickHouseIntegration 'ch').Port | Should -Be 8443
    }

    It 'connects under <Mode> over HTTPS with the server''s real name, and says what was checked' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Preferred'; Validated = $false; NameChecked = $false }
        @{ Mode = 'Required'; Validated = $false; NameChecked = $false }
        @{ Mode = 'VerifyCA'; Validated = $true; NameChecked = $false }
        @{ Mode = 'VerifyFull'; Validated = $true; NameChecked = $true }
    ) {
        New-ClickHouseIntegration 'ch' -Extra @{ SslMode = $Mode; Port = [int]$lab.clickhouse.httpsPort } | Out-Null
        $report = Test-SecureConnection ch -ErrorAction Stop
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -Match 'TLSv1\.[23]'
        $report.CertificateValidated | Should -Be $Validated
        $report.HostNameVerified | Should -Be $NameChecked
        $report.CertificateSubject | Should -Match 'CN=db\.lab\.internal'
        $report.Via | Should -Match 'SSH tunnel'
        $report.ServerVersion | Should -Be $lab.clickhouse.version
        (Invoke-SecureQuery ch 'SELECT 1 AS one' -ErrorAction Stop).one | Should -Be 1
    }

    It 'falls back to plain HTTP under Preferred only when the port does not speak TLS, and says so' -Skip:(Skip-When $NoLab) {
        New-ClickHouseIntegration 'ch' -Extra @{ SslMode = 'Preferred'; Port = [int]$lab.clickhouse.httpPort; CaCertificatePath = $null } | Out-Null
        $report = Test-SecureConnection ch -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue
        $report.Encrypted | Should -BeFalse
        $report.Warnings -join ' ' | Should -Match 'NOT encrypted'
        (Invoke-SecureQuery ch 'SELECT 2 AS two' -ErrorAction Stop).two | Should -Be 2
    }

    It 'refuses the plain HTTP port under <Mode> with SslNotAvailable, sending nothing' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Required' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-ClickHouseIntegration 'ch' -Extra @{ SslMode = $Mode; Port = [int]$lab.clickhouse.httpPort } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslNotAvailable,$QueryError"
    }

    It 'refuses a certificate from the rogue CA under <Mode>' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'VerifyCA' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-ClickHouseIntegration 'ch' -Extra @{ SslMode = $Mode; CaCertificatePath = $lab.ca.rogueCaPath } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'refuses, under VerifyFull, a name the certificate does not hold, though the tunnel reaches the same server' -Skip:(Skip-When $NoNetns) {
        # The bastion resolves bastion2.lab.internal to the database's address; the certificate does not name it.
        New-ClickHouseIntegration 'ch' -Extra @{ HostName = 'bastion2.lab.internal' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'reports a wrong password as DatabaseAuthenticationFailed, with no password in the message' -Skip:(Skip-When $NoLab) {
        New-ClickHouseIntegration 'ch' -Extra @{ Credential = New-LabCredential $lab.clickhouse 'not-the-password' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($lab.clickhouse.password))
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }
}

Describe 'ClickHouse rows' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-ClickHouseIntegration 'ch' | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'reads the people table: 5 typed rows, non-ASCII intact, NULL as $null, and Export-Csv of them' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery ch 'SELECT id, name, email, score, joined, note FROM people ORDER BY id' -ErrorAction Stop)
        $rows.Count | Should -Be 5
        $rows.id | Should -Be @(1, 2, 3, 4, 5)
        $rows[0].id | Should -BeOfType ([uint32])
        $rows[3].name | Should -BeExactly 'Zoë Müller'
        $rows[0].score | Should -BeOfType ([decimal])
        $rows[0].score | Should -Be 98.50
        $null -eq ($rows | Where-Object id -eq 3).note | Should -BeTrue
        $csv = Join-Path $ws 'people.csv'
        $rows | Export-Csv -Path $csv
        $back = @(Import-Csv $csv)
        $back.Count | Should -Be 5
        $back[3].name | Should -BeExactly 'Zoë Müller'
    }

    It 'maps every type of the types table to its .NET type' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery ch 'SELECT * FROM types ORDER BY id' -ErrorAction Stop)
        $rows.Count | Should -Be 2
        $r = $rows[0]
        $r.i8 | Should -BeOfType ([sbyte]); $r.i8 | Should -Be -128
        $r.i16 | Should -BeOfType ([int16]); $r.i32 | Should -BeOfType ([int]); $r.i64 | Should -BeOfType ([long])
        $r.i64 | Should -Be ([long]::MinValue)
        $r.u8 | Should -BeOfType ([byte]); $r.u16 | Should -BeOfType ([uint16]); $r.u32 | Should -BeOfType ([uint32])
        $r.u64 | Should -BeOfType ([uint64]); $r.u64 | Should -Be ([uint64]::MaxValue)
        $r.f32 | Should -BeOfType ([single]); $r.f32 | Should -Be 1.5
        $r.f64 | Should -BeOfType ([double]); $r.f64 | Should -Be -2.25
        $r.dec | Should -BeOfType ([decimal]); $r.dec | Should -Be 12345678901234.5678d
        $r.s | Should -BeExactly "tab`there, newline`nthere, back\slash, quote ' and Zoë"
        $r.fs | Should -BeExactly 'abcd'
        $r.uuid | Should -BeOfType ([guid]); $r.uuid | Should -Be ([guid]'01234567-89ab-cdef-0123-456789abcdef')
        $r.e | Should -BeExactly 'green'
        $null -eq $r.n | Should -BeTrue
        , $r.arr | Should -BeOfType ([int[]]); $r.arr | Should -Be @(1, 2, 3)
        , $r.arrs | Should -BeOfType ([string[]]); $r.arrs | Should -Be @('a', "b'c", 'd,e')
        $r.arrn.Count | Should -Be 3; $r.arrn[0] | Should -Be 1; $null -eq $r.arrn[1] | Should -BeTrue
        $rows[1].f32 | Should -Be ([single]::PositiveInfinity)
        [double]::IsNaN($rows[1].f64) | Should -BeTrue
        $rows[1].n | Should -Be 42
        $rows[1].arr.Count | Should -Be 0
    }

    It 'reads dates and times as the server meant them, including a column in another time zone' -Skip:(Skip-When $NoLab) {
        $r = Invoke-SecureQuery ch 'SELECT d, dt, dtz FROM types WHERE id = 1' -ErrorAction Stop
        $r.d.Date | Should -Be ([datetime]'2024-02-29')
        # 2024-01-15 09:30:00 in the server's zone (UTC) and 2024-07-01 12:00:00 in Europe/Berlin (UTC+2 in July).
        ([DateTimeOffset]$r.dt).UtcDateTime | Should -Be ([datetime]::new(2024, 1, 15, 9, 30, 0, [DateTimeKind]::Utc))
        ([DateTimeOffset]$r.dtz).UtcDateTime | Should -Be ([datetime]::new(2024, 7, 1, 10, 0, 0, [DateTimeKind]::Utc))
    }

    It 'raises the exception the server appends after rows have started, never a short result' -Skip:(Skip-When $NoLab) {
        $count = [ref]0
        $err = Get-ErrorRecord {
            # 18.16 holds back about 1 MiB before it sends anything: the exception must come after that.
            Invoke-SecureQuery ch 'SELECT number, throwIf(number = 1000000) AS boom FROM system.numbers LIMIT 2000000 SETTINGS max_block_size = 1000' -ErrorAction Stop |
                ForEach-Object { $count.Value++ }
        }
        $seen = $count.Value
        $seen | Should -BeGreaterThan 0 -Because 'rows must have started before the exception (else this test shows nothing)'
        $seen | Should -BeLessThan 1000001
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match '395'
        $err.Exception.Message | Should -Match "$seen rows"
    }

    It 'stops the server query when the pipeline stops early' -Skip:(Skip-When $NoLab) {
        $marker = "stop-$([guid]::NewGuid().ToString('N'))"
        $first = @(Invoke-SecureQuery ch "SELECT number, '$marker' AS m FROM system.numbers LIMIT 100000000" -ErrorAction Stop | Select-Object -First 5)
        $first.Count | Should -Be 5
        Wait-Until {
            [int](Invoke-SecureQuery ch "SELECT count() AS c FROM system.processes WHERE query LIKE '%$marker%' AND query NOT LIKE '%system.processes%'" -ErrorAction Stop).c -eq 0
        } 15 | Should -BeTrue -Because 'the query must not run on after the pipeline stopped'
    }

    It 'returns -As Scalar and -As DataTable' -Skip:(Skip-When $NoLab) {
        Invoke-SecureQuery ch 'SELECT count() FROM people' -As Scalar -ErrorAction Stop | Should -Be 5
        $table = Invoke-SecureQuery ch 'SELECT id, note FROM people ORDER BY id' -As DataTable -ErrorAction Stop
        $table.Rows.Count | Should -Be 5
        $table.Rows[2]['note'] | Should -Be ([DBNull]::Value)
    }

    It 'refuses -Parameters on a server without query parameters (18.16) with a clear error before any row' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT {id:UInt32} AS id' -Parameters @{ id = 1 } -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Match '^(InvalidParameterValue|QueryFailed),'
        $err.Exception.Message | Should -Match 'parameter'
    }

    It 'reports a statement the server refuses as QueryFailed with its code' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery ch 'SELECT * FROM no_such_table' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match '60'
    }

    It 'is a terminating QueryInterrupted saying how many rows came, when the bastion dies while rows stream' -Skip:(Skip-When $NoLab) {
        $labScript = Join-Path $PSScriptRoot 'lab/lab.sh'
        $seen = 0
        $caught = $null
        try {
            Invoke-SecureQuery ch 'SELECT number, hex(MD5(toString(number))) AS h FROM system.numbers LIMIT 5000000' | ForEach-Object {
                $seen++
                if ($seen -eq 2000) {
                    $out = & bash $labScript restart-sshd bastion 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "restart-sshd failed: $out" }
                }
            }
        }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because "the stream was cut after $seen rows"
        $caught.FullyQualifiedErrorId | Should -Be "QueryInterrupted,$QueryError"
        $caught.Exception.Message | Should -Match "after $seen rows"
        Wait-Until { (Get-SshTunnel | Where-Object RemoteHost -eq $lab.clickhouse.hostName).State -eq 'Up' } 30 | Should -BeTrue
        (Invoke-SecureQuery ch 'SELECT 1 AS one' -ErrorAction Stop).one | Should -Be 1
    }
}

Describe 'ClickHouse, a current server' -Tag RealServer {
    It 'connects under VerifyFull (or the given mode) and reads typed rows' -Skip:(Skip-When $NoRealServer) {
        $cfg = $env:SECURECONNECT_TEST_CLICKHOUSE | ConvertFrom-Json
        $uri = [uri]$cfg.url
        $ws = New-TestWorkspace
        try {
            $params = @{
                Name = 'real'; Type = 'ClickHouse'; HostName = $uri.Host; Port = $uri.Port
                SslMode = if ($cfg.sslMode) { $cfg.sslMode } else { 'VerifyFull' }
                Credential = [pscredential]::new($cfg.user, (ConvertTo-SecureText $cfg.password))
            }
            if ($cfg.caPath) { $params.CaCertificatePath = $cfg.caPath }
            New-SecureIntegration @params -ErrorAction Stop | Out-Null
            (Test-SecureConnection real -ErrorAction Stop).Encrypted | Should -Be ($uri.Scheme -eq 'https')
            $r = Invoke-SecureQuery real "SELECT toUInt64(42) AS n, 'x' AS s, toDateTime('2024-01-15 09:30:00', 'UTC') AS t, [1, 2] AS a" -ErrorAction Stop
            $r.n | Should -BeOfType ([uint64])
            $r.s | Should -BeExactly 'x'
            , $r.a | Should -BeOfType ([byte[]])
            $p = Invoke-SecureQuery real 'SELECT {n:UInt32} AS n' -Parameters @{ n = 7 } -ErrorAction Stop
            $p.n | Should -Be 7
        }
        finally { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }
    }
}
