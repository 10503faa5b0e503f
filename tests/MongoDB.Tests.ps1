# MongoDB through the lab's REAL OpenSSH bastion. No MongoDB server can run on these machines, so the server is the
# MongoDB wire-protocol TEST DOUBLE (tests/MongoDouble, checked by the official Node.js driver in MongoDouble.Tests.ps1),
# started here in the lab's database network (in netns mode reachable ONLY through the bastion), with the lab's
# certificate and login: every SSL mode, Preferred's fallback, documents as objects, cursors followed and killed,
# errors. A real server is tested when SECURECONNECT_TEST_MONGODB holds a connection string.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode: its host names are addresses" } else { $null }
    $NoRealServer = if ($env:SECURECONNECT_TEST_MONGODB) { $null } else { 'SECURECONNECT_TEST_MONGODB is not set (a mongodb:// connection string with user and password; add caPath=<file> after a | for a private CA)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:QueryError = 'SecureConnect.Commands.InvokeSecureQueryCommand'
    $script:doubles = @()

    function Start-LabMongoDouble([int] $Port, [string[]] $Arguments) {
        # The double in the database network, where the bastion reaches it, with the lab's login.
        $db = $lab.postgresTls
        $double = Start-MongoDouble -Address $db.host -Port $Port -Namespace $lab.dbNamespace `
            -Arguments (@('--user', $db.user, '--password', $db.password, '--numbers', '100000') + $Arguments)
        $script:doubles += $double
        $double
    }

    function New-MongoIntegration {
        # Through the bastion, with the lab's login; VerifyFull with the lab CA unless the case says otherwise.
        param([string] $Name, [hashtable] $Extra = @{})
        $db = $lab.postgresTls
        $params = @{
            Name = $Name; Type = 'MongoDB'; HostName = $db.hostName; Port = 27017; Database = 'scdemo'
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $db
        }
        foreach ($k in $Extra.Keys) { if ($null -eq $Extra[$k]) { $params.Remove($k) } else { $params[$k] = $Extra[$k] } }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    if ($lab -and $lab.bastion.available) {
        # TLS and plain on one port (as mongod's allowTLS), and a plain-only server for Preferred's fallback.
        $script:tlsDouble = Start-LabMongoDouble 27017 @('--tls-cert', $lab.ca.serverCertPath, '--tls-key', ($lab.ca.serverCertPath -replace 'server\.crt$', 'server.key'), '--tls-mode', 'allow')
        $script:plainDouble = Start-LabMongoDouble 27018 @()
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        foreach ($d in $doubles) { Stop-MongoDouble $d }
        if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
    }
}

Describe 'MongoDB integrations and SSL modes through the bastion (against the wire-protocol double)' -Tag Lab {
    BeforeAll { if ($lab) { Initialize-LabWorkspace } }
    AfterAll { Remove-LabWorkspace }
    AfterEach { if ($lab) { Get-SecureIntegration | Remove-SecureIntegration -Confirm:$false } }

    It 'stores 27017 when no -Port is given' -Skip:(Skip-When $NoLab) {
        (New-MongoIntegration 'mongo' -Extra @{ Port = $null }).Port | Should -Be 27017
    }

    It 'connects under <Mode> over TLS with the server''s real name, and says what was checked' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Preferred'; Validated = $false; NameChecked = $false }
        @{ Mode = 'Required'; Validated = $false; NameChecked = $false }
        @{ Mode = 'VerifyCA'; Validated = $true; NameChecked = $false }
        @{ Mode = 'VerifyFull'; Validated = $true; NameChecked = $true }
    ) {
        New-MongoIntegration 'mongo' -Extra @{ SslMode = $Mode } | Out-Null
        $report = Test-SecureConnection mongo -ErrorAction Stop
        $report.Encrypted | Should -BeTrue
        $report.TlsProtocol | Should -Match 'Tls1[23]|TLSv1\.[23]'
        $report.CertificateValidated | Should -Be $Validated
        $report.HostNameVerified | Should -Be $NameChecked
        $report.CertificateSubject | Should -Match 'CN=db\.lab\.internal'
        $report.Via | Should -Match 'SSH tunnel'
        $report.ServerVersion | Should -Be '7.0.0-double'
        (Invoke-SecureQuery mongo '{ "ping": 1 }' -ErrorAction Stop).ok | Should -Be 1
    }

    It 'shows the server the bastion''s address (the double''s whatsmyuri)' -Skip:(Skip-When $NoNetns) {
        New-MongoIntegration 'mongo' | Out-Null
        (Test-SecureConnection mongo -ErrorAction Stop).ClientAddressSeenByServer | Should -Match "^$([regex]::Escape($lab.network.bastionDbSideAddress))"
    }

    It 'falls back to plaintext under Preferred only when the server does not speak TLS, and says so' -Skip:(Skip-When $NoLab) {
        New-MongoIntegration 'mongo' -Extra @{ SslMode = 'Preferred'; Port = 27018; CaCertificatePath = $null } | Out-Null
        $report = Test-SecureConnection mongo -ErrorAction Stop
        $report.Encrypted | Should -BeFalse
        $report.Warnings -join ' ' | Should -Match 'NOT encrypted'
        @(Invoke-SecureQuery mongo -Collection people -ErrorAction Stop).Count | Should -Be 5
    }

    It 'refuses a server without TLS under <Mode> with SslNotAvailable' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'Required' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-MongoIntegration 'mongo' -Extra @{ SslMode = $Mode; Port = 27018 } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery mongo -Collection people -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslNotAvailable,$QueryError"
    }

    It 'refuses a certificate from the rogue CA under <Mode>' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Mode = 'VerifyCA' }
        @{ Mode = 'VerifyFull' }
    ) {
        New-MongoIntegration 'mongo' -Extra @{ SslMode = $Mode; CaCertificatePath = $lab.ca.rogueCaPath } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery mongo -Collection people -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'refuses, under VerifyFull, a name the certificate does not hold, though the tunnel reaches the same server' -Skip:(Skip-When $NoNetns) {
        # The bastion resolves bastion2.lab.internal to the database's address; the certificate does not name it.
        New-MongoIntegration 'mongo' -Extra @{ HostName = 'bastion2.lab.internal' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery mongo -Collection people -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslCertificateInvalid,$QueryError"
    }

    It 'reports a wrong password as DatabaseAuthenticationFailed, with no password in the message' -Skip:(Skip-When $NoLab) {
        New-MongoIntegration 'mongo' -Extra @{ Credential = New-LabCredential $lab.postgresTls 'not-the-password' } | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery mongo -Collection people -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Not -Match ([regex]::Escape($lab.postgresTls.password))
        $err.Exception.Message | Should -Not -Match 'not-the-password'
    }
}

Describe 'MongoDB documents as objects (against the wire-protocol double)' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-MongoIntegration 'mongo' | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'finds with -Filter, -Projection, -Sort and -Limit, and each document is an object with typed fields' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery mongo -Collection people -Filter @{ score = @{ '$gt' = 80 } } -Sort ([ordered]@{ score = -1 }) -Limit 3 -ErrorAction Stop)
        $rows.Count | Should -Be 3
        $rows.name | Should -Be @('Grace Hopper', 'Ada Lovelace', 'Alan Turing')
        $ada = $rows[1]
        $ada._id | Should -Be '65a000000000000000000001'
        $ada.score | Should -BeOfType ([decimal])
        $ada.score | Should -Be 98.50d
        $ada.joined | Should -BeOfType ([datetime])
        $ada.joined.Kind | Should -Be 'Utc'
        $ada.joined | Should -Be ([datetime]::new(2024, 1, 15, 9, 30, 0, [DateTimeKind]::Utc))
        $ada.address.city | Should -Be 'London'
        , $ada.tags | Should -BeOfType ([object[]])
        $null -eq $rows[0].note | Should -BeTrue
        $rows[0].PSObject.Properties.Name | Should -Contain 'note'

        $names = @(Invoke-SecureQuery mongo -Collection people -Projection @{ name = 1; _id = 0 } -ErrorAction Stop)
        $names[0].PSObject.Properties.Name | Should -Be @('name')
    }

    It 'exports flat documents with Export-Csv and round-trips nested ones through ConvertTo-Json' -Skip:(Skip-When $NoLab) {
        $csv = Join-Path $ws 'people.csv'
        Invoke-SecureQuery mongo -Collection people -Projection @{ id = 1; name = 1; email = 1; _id = 0 } -ErrorAction Stop | Export-Csv -Path $csv
        $back = @(Import-Csv $csv)
        $back.Count | Should -Be 5
        ($back | Where-Object id -eq 4).name | Should -BeExactly 'Zoë Müller'

        $doc = Invoke-SecureQuery mongo -Collection people -Filter @{ id = 5 } -ErrorAction Stop
        $json = $doc | ConvertTo-Json -Depth 10
        $again = $json | ConvertFrom-Json
        $again.address.city | Should -Be $doc.address.city
        $again.tags | Should -Be $doc.tags
        ($again | ConvertTo-Json -Depth 10) | Should -Be $json
    }

    It 'exports a -Collection find with Export-SecureQuery, byte for byte what Invoke-SecureQuery -Collection | Export-Csv writes' -Skip:(Skip-When $NoLab) {
        $find = @{ Collection = 'people'; Filter = @{ score = @{ '$gt' = 10 } }; Projection = @{ id = 1; name = 1; email = 1; score = 1; _id = 0 }; Sort = @{ id = 1 } }
        $expected = Join-Path $ws 'people-pipeline.csv'
        $actual = Join-Path $ws 'people-export.csv'
        Invoke-SecureQuery mongo @find -ErrorAction Stop | Export-Csv -Path $expected

        $result = Export-SecureQuery mongo @find -Path $actual -ErrorAction Stop

        [IO.File]::ReadAllBytes($actual) | Should -Be ([IO.File]::ReadAllBytes($expected))
        $result.Rows | Should -Be @(Import-Csv $actual).Count
        $result.Rows | Should -BeGreaterThan 1
        { Export-SecureQuery mongo -Path (Join-Path $ws 'none.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'QueryRequired,SecureConnect.Commands.ExportSecureQueryCommand'
        { Export-SecureQuery mongo -Filter @{ id = 1 } -Query '{ "find": "people" }' -Path (Join-Path $ws 'none.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterNotApplicable,SecureConnect.Commands.ExportSecureQueryCommand'
        Test-Path (Join-Path $ws 'none.csv') | Should -BeFalse
    }

    It 'runs a database command as JSON: aggregate, count, distinct' -Skip:(Skip-When $NoLab) {
        $agg = @(Invoke-SecureQuery mongo '{ "aggregate": "people", "pipeline": [ { "$match": { "note": "kernel" } } ], "cursor": {} }' -ErrorAction Stop)
        $agg.name | Should -Be @('Linus Torvalds')
        Invoke-SecureQuery mongo '{ "count": "people" }' -As Scalar -ErrorAction Stop | Should -Be 5
        (Invoke-SecureQuery mongo '{ "distinct": "people", "key": "address.city" }' -ErrorAction Stop).values.Count | Should -Be 5
    }

    It 'follows a cursor to its end with getMore (100000 documents in batches)' -Skip:(Skip-When $NoLab) {
        $count = 0
        Invoke-SecureQuery mongo -Collection numbers -ErrorAction Stop | ForEach-Object { $count++ }
        $count | Should -Be 100000
    }

    It 'kills the cursor on the server when the pipeline stops early' -Skip:(Skip-When $NoLab) {
        $before = Invoke-SecureQuery mongo '{ "doubleStats": 1 }' -ErrorAction Stop
        $first = @(Invoke-SecureQuery mongo -Collection numbers -ErrorAction Stop | Select-Object -First 5)
        $first.n | Should -Be @(0, 1, 2, 3, 4)
        $after = Invoke-SecureQuery mongo '{ "doubleStats": 1 }' -ErrorAction Stop
        @($after.killedCursorIds).Count | Should -Be (@($before.killedCursorIds).Count + 1) -Because 'the stopped query''s cursor must be killed on the server'
        $after.cursorsOpen | Should -Be 0
    }

    It 'is a terminating QueryInterrupted saying how many documents came, when the bastion dies while they stream' -Skip:(Skip-When $NoLab) {
        $labScript = Join-Path $PSScriptRoot 'lab/lab.sh'
        $seen = 0
        $caught = $null
        try {
            # A runbook without -ErrorAction Stop: only a terminating error stops it.
            # Batches of 1000, as the command asks for every batch: the cut comes while more must be fetched.
            Invoke-SecureQuery mongo '{ "find": "numbers", "batchSize": 1000 }' | ForEach-Object {
                $seen++
                if ($seen -eq 2000) {
                    $out = & bash $labScript restart-sshd bastion 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "restart-sshd failed: $out" }
                }
            }
        }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because "the stream was cut after $seen of 100000 documents"
        $caught.FullyQualifiedErrorId | Should -Be "QueryInterrupted,$QueryError"
        $caught.Exception.Message | Should -Match "after $seen rows"
        $seen | Should -BeLessThan 100000
        Wait-Until { (Get-SshTunnel | Where-Object RemoteHost -eq $lab.postgresTls.hostName).State -eq 'Up' } 30 | Should -BeTrue
        (Invoke-SecureQuery mongo '{ "ping": 1 }' -ErrorAction Stop).ok | Should -Be 1
    }

    It 'reports a failing command as QueryFailed with the server''s code and name' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery mongo -Collection fail -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $err.Exception.Message | Should -Match 'BadValue'
        $bad = Get-ErrorRecord { Invoke-SecureQuery mongo '{ "noSuchCommand": 1 }' -ErrorAction Stop }
        $bad.Exception.Message | Should -Match 'CommandNotFound'
    }
}

Describe 'MongoDB, a real server' -Tag RealServer {
    It 'connects, finds and reports the session' -Skip:(Skip-When $NoRealServer) {
        $text, $caPath = $env:SECURECONNECT_TEST_MONGODB -split '\|caPath=', 2
        $ws = New-TestWorkspace
        try {
            $params = @{ Type = 'MongoDB'; ConnectionString = $text; SslMode = 'VerifyFull' }
            if ($caPath) { $params.CaCertificatePath = $caPath }
            $report = Test-SecureConnection @params -ErrorAction Stop -WarningAction SilentlyContinue
            $report.Encrypted | Should -BeTrue
            Invoke-SecureQuery @params -Query '{ "ping": 1 }' -ErrorAction Stop -WarningAction SilentlyContinue |
                ForEach-Object ok | Should -Be 1
        }
        finally { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }
    }
}
