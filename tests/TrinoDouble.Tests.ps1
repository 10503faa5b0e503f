#Requires -Version 7.4
# The Trino coordinator test double (tests/TrinoDouble) that the Trino tests talk to where no Trino server can run,
# checked by a client that is not ours: Trino's JavaScript client, trino-client (tests/node/trino-check.mjs). Needs no
# lab: every double listens on 127.0.0.1 on a port the kernel picks, and is stopped by closing its stdin (or its PID).

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    $script:repoRoot = Split-Path $PSScriptRoot -Parent
    $script:doubleDll = Join-Path $repoRoot 'output/TrinoDouble/TrinoDouble.dll'
    $script:nodeDir = Join-Path $PSScriptRoot 'node'
    $script:checkScript = Join-Path $nodeDir 'trino-check.mjs'

    if (-not (Test-Path $doubleDll)) {
        # build.ps1 -Task Build puts it there; a run of this file alone builds it the same way.
        $build = Invoke-Native dotnet @('build', (Join-Path $repoRoot 'tests/TrinoDouble/TrinoDouble.csproj'), '-c', 'Release',
            '-o', (Split-Path $doubleDll), '--nologo', '-v', 'quiet') -TimeoutSeconds 300
        if ($build.ExitCode -ne 0) { throw "Building tests/TrinoDouble failed:`n$($build.Output)$($build.Error)" }
    }
    if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
        throw 'node is not installed: the Trino double is checked by trino-client. tests/lab/lab.sh install installs it (as root).'
    }
    if (-not (Test-Path (Join-Path $nodeDir 'node_modules/trino-client'))) {
        # build.ps1 -Task Test runs this before Pester; offline, it fails here with npm's reason instead of skipping.
        $npm = Invoke-Native (Get-Command npm).Source @('ci', '--no-audit', '--no-fund', '--prefix', $nodeDir) -TimeoutSeconds 300
        if ($npm.ExitCode -ne 0) {
            throw "npm ci in tests/node failed (exit $($npm.ExitCode)), so trino-client that checks the Trino double is missing:`n$($npm.Error)"
        }
    }

    function Invoke-TrinoCheck([string] $Url, [string[]] $More) {
        # trino-client's checks; its JSON result, with the exit code.
        $r = Invoke-Native (Get-Command node).Source (@($checkScript, $Url, $user) + $More) -TimeoutSeconds 180
        if ($r.TimedOut) { throw "trino-check.mjs did not finish within 180 s: $($r.Error)" }
        $json = $r.Output.Trim() | ConvertFrom-Json -Depth 20
        $json | Add-Member -NotePropertyName ExitCode -NotePropertyValue $r.ExitCode
        $json
    }

    function Get-FailedChecks($Result) {
        # For the assertion message: which checks failed and why (or the error).
        $failed = @($Result.checks | Where-Object { -not $_.ok } | ForEach-Object { "$($_.name): $($_.detail | ConvertTo-Json -Compress -Depth 5)" })
        if ($Result.error) { $failed += "error: $($Result.error | ConvertTo-Json -Compress -Depth 5)" }
        $failed -join '; '
    }

    function New-TestCertificates([string] $Dir) {
        # A throwaway CA, a server certificate it signs for 127.0.0.1, and a second CA that signed nothing.
        New-Item -ItemType Directory -Force $Dir | Out-Null
        $openssl = (Get-Command openssl).Source
        Set-Content -Path "$Dir/server.ext" -Value @('subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth', 'basicConstraints=CA:FALSE')
        $steps = @(
            @('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=TrinoDouble test CA',
                '-keyout', "$Dir/ca.key", '-out', "$Dir/ca.crt"),
            @('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=Another CA',
                '-keyout', "$Dir/other-ca.key", '-out', "$Dir/other-ca.crt"),
            @('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/O=SecureConnect Tests/CN=trino-double',
                '-keyout', "$Dir/server.key", '-out', "$Dir/server.csr"),
            @('x509', '-req', '-sha256', '-days', '2', '-in', "$Dir/server.csr", '-CA', "$Dir/ca.crt", '-CAkey', "$Dir/ca.key",
                '-CAcreateserial', '-extfile', "$Dir/server.ext", '-out', "$Dir/server.crt")
        )
        foreach ($step in $steps) {
            $r = Invoke-Native $openssl $step
            if ($r.ExitCode -ne 0) { throw "openssl $($step[0]) failed: $($r.Error)" }
        }
    }

    $script:user = 'scuser'
    $script:password = 'pw-' + [guid]::NewGuid().ToString('N')
    $script:certDir = Join-Path ([IO.Path]::GetTempPath()) ('trino-double-' + [guid]::NewGuid().ToString('N'))
    New-TestCertificates $certDir
}

AfterAll {
    if ($script:certDir) { Remove-Item -Recurse -Force $certDir -ErrorAction SilentlyContinue }
}

Describe 'Trino coordinator test double: plain HTTP, checked by trino-client' {
    BeforeAll {
        $script:numbers = 25000
        $script:double = Start-TestDouble Trino @('--numbers', "$numbers")
        $script:url = "http://127.0.0.1:$($double.Port)"
        $script:result = Invoke-TrinoCheck $url @('--numbers', "$numbers")
    }
    AfterAll { Stop-TestDouble $script:double }

    It 'says where it listens: a port the kernel picked on 127.0.0.1' {
        $double.Line | Should -Be "listening 127.0.0.1 $($double.Port)"
        $double.Port | Should -BeGreaterThan 0
    }

    It 'passes every check of trino-client' {
        $result.ExitCode | Should -Be 0 -Because (Get-FailedChecks $result)
        $result.ok | Should -BeTrue -Because (Get-FailedChecks $result)
        @($result.checks | Where-Object { -not $_.ok }) | Should -BeNullOrEmpty -Because (Get-FailedChecks $result)
        @($result.checks).Count | Should -BeGreaterOrEqual 21
    }

    It 'pages 25000 numbers in pages of 1000, in order' {
        $c = $result.checks | Where-Object name -Like 'numbers:*'
        $c.ok | Should -BeTrue
        $c.detail.rows | Should -Be $numbers
        $c.detail.pages | Should -Be 26
    }

    It 'records the cancel of trino-client and the headers it sent' {
        ($result.checks | Where-Object name -Like 'cancel:*').detail.cancels | Should -Be 1
        ($result.checks | Where-Object name -Like 'headers:*').ok | Should -BeTrue
    }

    It 'answers a TLS ClientHello on its plain port in plain HTTP, as Trino does' {
        $r = Invoke-TrinoCheck "https://127.0.0.1:$($double.Port)" @('--ca', "$certDir/ca.crt")
        $r.ok | Should -BeFalse
        @($r.checks).Count | Should -Be 0
        $r.error.code | Should -Be 'EPROTO'
    }

    It 'stops when its standard input closes' {
        $double.Process.StandardInput.Close()
        $double.Process.WaitForExit(10000) | Should -BeTrue
        $double.Process.ExitCode | Should -Be 0
        $double.Stderr.Result | Should -Match 'Trino coordinator test double 470-double'
    }
}

Describe 'Trino coordinator test double: HTTPS with a throwaway CA and HTTP Basic' {
    BeforeAll {
        $script:numbers = 3000
        $script:double = Start-TestDouble Trino @('--tls-cert', "$certDir/server.crt", '--tls-key', "$certDir/server.key",
            '--user', $user, '--password', $password, '--numbers', "$numbers")
        $script:url = "https://127.0.0.1:$($double.Port)"
    }
    AfterAll { Stop-TestDouble $script:double }

    It 'passes every check over TLS validated with the CA, with the password, and refuses a wrong one (401)' {
        $r = Invoke-TrinoCheck $url @('--ca', "$certDir/ca.crt", '--password', $password, '--numbers', "$numbers")
        $r.ok | Should -BeTrue -Because (Get-FailedChecks $r)
        ($r.checks | Where-Object name -EQ 'a wrong password is 401').ok | Should -BeTrue
        ($r.checks | Where-Object name -Like 'headers:*').detail.Authorization | Should -Be 'Basic (redacted)'
    }

    It 'fails certificate validation with a CA that did not sign the certificate' {
        $r = Invoke-TrinoCheck $url @('--ca', "$certDir/other-ca.crt", '--password', $password)
        $r.ok | Should -BeFalse
        $r.ExitCode | Should -Be 1
        @($r.checks).Count | Should -Be 0
        $r.error.message | Should -Match 'certificate'
    }

    It 'refuses statements without the login (401), but answers /v1/info' {
        $r = Invoke-TrinoCheck $url @('--ca', "$certDir/ca.crt")
        $r.ok | Should -BeFalse
        ($r.checks | Where-Object name -EQ 'doubleStats answers').ok | Should -BeTrue
        $r.error.status | Should -Be 401
    }

    It 'never writes the password on its output' {
        $double.Process.StandardInput.Close()
        $double.Process.WaitForExit(10000) | Should -BeTrue
        $double.Stderr.Result | Should -Not -Match ([regex]::Escape($password))
    }
}

Describe 'Trino coordinator test double: a password over plain HTTP' {
    BeforeAll {
        $script:double = Start-TestDouble Trino @('--user', $user, '--password', $password)
    }
    AfterAll { Stop-TestDouble $script:double }

    It 'is refused with 403, as Trino refuses a password on an insecure connection' {
        $r = Invoke-TrinoCheck "http://127.0.0.1:$($double.Port)" @('--password', $password)
        $r.ok | Should -BeFalse
        $r.error.status | Should -Be 403
    }
}
