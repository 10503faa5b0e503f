#Requires -Version 7.4
# The MongoDB wire-protocol test double (tests/MongoDouble) that the MongoDB tests talk to where no MongoDB server can
# run, checked by a client that is not ours: the official Node.js driver (tests/node/mongo-check.mjs). Needs no lab:
# every double listens on 127.0.0.1 on a port the kernel picks, and is stopped by its PID.

BeforeAll {
    . (Join-Path $PSScriptRoot 'common.ps1')

    $script:repoRoot = Split-Path $PSScriptRoot -Parent
    $script:doubleDll = Join-Path $repoRoot 'output/MongoDouble/MongoDouble.dll'
    $script:nodeDir = Join-Path $PSScriptRoot 'node'
    $script:checkScript = Join-Path $nodeDir 'mongo-check.mjs'

    if (-not (Test-Path $doubleDll)) {
        # build.ps1 -Task Build puts it there; a run of this file alone builds it the same way.
        $build = Invoke-Native dotnet @('build', (Join-Path $repoRoot 'tests/MongoDouble/MongoDouble.csproj'), '-c', 'Release',
            '-o', (Split-Path $doubleDll), '--nologo', '-v', 'quiet') -TimeoutSeconds 300
        if ($build.ExitCode -ne 0) { throw "Building tests/MongoDouble failed:`n$($build.Output)$($build.Error)" }
    }
    if (-not (Get-Command node -ErrorAction SilentlyContinue)) {
        throw 'node is not installed: the MongoDB double is checked by the Node.js driver. tests/lab/lab.sh install installs it (as root).'
    }
    if (-not (Test-Path (Join-Path $nodeDir 'node_modules/mongodb'))) {
        # build.ps1 -Task Test runs this before Pester; offline, it fails here with npm's reason instead of skipping.
        $npm = Invoke-Native (Get-Command npm).Source @('ci', '--no-audit', '--no-fund', '--prefix', $nodeDir) -TimeoutSeconds 300
        if ($npm.ExitCode -ne 0) {
            throw "npm ci in tests/node failed (exit $($npm.ExitCode)), so the Node.js driver that checks the MongoDB double is missing:`n$($npm.Error)"
        }
    }

    function Invoke-MongoCheck([string] $Uri, [int] $Numbers) {
        # The Node.js driver's checks; its JSON result, with the exit code.
        $r = Invoke-Native (Get-Command node).Source @($checkScript, $Uri, '--numbers', "$Numbers") -TimeoutSeconds 180
        if ($r.TimedOut) { throw "mongo-check.mjs did not finish within 180 s: $($r.Error)" }
        $json = $r.Output.Trim() | ConvertFrom-Json -Depth 20
        $json | Add-Member -NotePropertyName ExitCode -NotePropertyValue $r.ExitCode
        $json
    }

    function Get-FailedChecks($Result) {
        # For the assertion message: which checks failed and why (or the connection error).
        $failed = @($Result.checks | Where-Object { -not $_.ok } | ForEach-Object { "$($_.name): $($_.detail | ConvertTo-Json -Compress -Depth 5)" })
        if ($Result.error) { $failed += "error: $($Result.error | ConvertTo-Json -Compress -Depth 5)" }
        $failed -join '; '
    }

    function New-TestCertificates([string] $Dir) {
        # A throwaway CA, a server certificate it signs for 127.0.0.1, and a second CA that signed nothing.
        New-Item -ItemType Directory -Force $Dir | Out-Null
        $openssl = (Get-Command openssl).Source
        $steps = @(
            @('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=MongoDouble test CA',
                '-keyout', "$Dir/ca.key", '-out', "$Dir/ca.crt"),
            @('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=Another CA',
                '-keyout', "$Dir/other-ca.key", '-out', "$Dir/other-ca.crt"),
            @('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/O=SecureConnect Tests/CN=mongo-double',
                '-keyout', "$Dir/server.key", '-out', "$Dir/server.csr"),
            @('x509', '-req', '-sha256', '-days', '2', '-in', "$Dir/server.csr", '-CA', "$Dir/ca.crt", '-CAkey', "$Dir/ca.key",
                '-CAcreateserial', '-extfile', "$Dir/server.ext", '-out', "$Dir/server.crt"),
            # The same key in the traditional RSA PEM form ("BEGIN RSA PRIVATE KEY"), which the double reads too.
            @('rsa', '-in', "$Dir/server.key", '-traditional', '-out', "$Dir/server-rsa.key")
        )
        Set-Content -Path "$Dir/server.ext" -Value @('subjectAltName=IP:127.0.0.1', 'extendedKeyUsage=serverAuth', 'basicConstraints=CA:FALSE')
        foreach ($step in $steps) {
            $r = Invoke-Native $openssl $step
            if ($r.ExitCode -ne 0) { throw "openssl $($step[0]) failed: $($r.Error)" }
        }
        # A certificate file with its chain after it, as servers are often configured.
        Set-Content -Path "$Dir/server-chain.crt" -Value ((Get-Content -Raw "$Dir/server.crt") + (Get-Content -Raw "$Dir/ca.crt")) -NoNewline
    }

    $script:user = 'scuser'
    $script:password = 'pw-' + [guid]::NewGuid().ToString('N')
    $script:certDir = Join-Path ([IO.Path]::GetTempPath()) ('mongo-double-' + [guid]::NewGuid().ToString('N'))
    New-TestCertificates $certDir
}

AfterAll {
    if ($script:certDir) { Remove-Item -Recurse -Force $certDir -ErrorAction SilentlyContinue }
}

Describe 'MongoDB wire-protocol test double: plain, with SCRAM-SHA-256, checked by the Node.js driver' {
    BeforeAll {
        $script:numbers = 250000
        $script:double = Start-MongoDouble @('--user', $user, '--password', $password, '--numbers', "$numbers")
        $script:base = "127.0.0.1:$($double.Port)/scdemo?directConnection=true&authSource=admin"
        $script:result = Invoke-MongoCheck "mongodb://${user}:$password@$base" $numbers
    }
    AfterAll { Stop-MongoDouble $script:double }

    It 'says where it listens: a port the kernel picked on 127.0.0.1' {
        $double.Line | Should -Be "listening 127.0.0.1 $($double.Port)"
        $double.Port | Should -BeGreaterThan 0
    }

    It 'passes every check of the Node.js driver' {
        $result.ExitCode | Should -Be 0 -Because (Get-FailedChecks $result)
        $result.ok | Should -BeTrue -Because (Get-FailedChecks $result)
        @($result.checks | Where-Object { -not $_.ok }) | Should -BeNullOrEmpty -Because (Get-FailedChecks $result)
        @($result.checks).Count | Should -BeGreaterOrEqual 18
        $result.version | Should -Be '7.0.0-double'
    }

    It 'reads 250000 numbers through getMore batches of 1000' {
        $numbersCheck = $result.checks | Where-Object name -EQ 'find numbers through getMore'
        $numbersCheck.ok | Should -BeTrue
        $numbersCheck.detail.seen | Should -Be $numbers
        $numbersCheck.detail.getMores | Should -BeGreaterOrEqual 249
    }

    It 'kills on the server the cursor the driver closed early' {
        $result.earlyCursor.killed | Should -BeTrue
        $result.earlyCursor.id | Should -Not -Be '0'
        $result.stats.killedCursorIds | Should -Contain $result.earlyCursor.id
        $result.stats.commands.killCursors | Should -BeGreaterOrEqual 1
    }

    It 'authenticated the driver with SCRAM-SHA-256 over a plain connection' {
        $result.authenticatedUsers | Should -Be @("admin.$user")
        $result.connection.tls | Should -BeFalse
        $result.connection.authenticatedUser | Should -Be $user
    }

    It 'refuses a wrong password with AuthenticationFailed (18)' {
        $wrong = Invoke-MongoCheck "mongodb://${user}:not-the-password@$base" $numbers
        $wrong.ExitCode | Should -Be 1
        $wrong.ok | Should -BeFalse
        $wrong.error.code | Should -Be 18
        $wrong.error.codeName | Should -Be 'AuthenticationFailed'
        $wrong.error.message | Should -Not -Match 'not-the-password'
    }

    It 'refuses reads without authentication (13 Unauthorized), after ping and buildInfo answered' {
        $anonymous = Invoke-MongoCheck "mongodb://$base" $numbers
        $anonymous.ok | Should -BeFalse
        ($anonymous.checks | Where-Object name -EQ 'ping').ok | Should -BeTrue
        $anonymous.error.code | Should -Be 13
        $anonymous.error.codeName | Should -Be 'Unauthorized'
    }

    It 'stops when its standard input closes, having logged every command on stderr' {
        $double.Process.StandardInput.Close()
        $double.Process.WaitForExit(10000) | Should -BeTrue
        $double.Process.ExitCode | Should -Be 0
        $log = $double.Stderr.Result
        foreach ($line in 'cmd ismaster admin', 'cmd saslStart admin', 'cmd saslContinue admin', 'cmd find scdemo',
            'cmd getMore scdemo', 'cmd killCursors scdemo', 'cmd aggregate scdemo', 'cmd distinct scdemo', 'cmd count scdemo') {
            $log | Should -Match "(?m)^$([regex]::Escape($line))$"
        }
        $log | Should -Not -Match ([regex]::Escape($password))
    }
}

Describe 'MongoDB wire-protocol test double: TLS required, with a throwaway CA' {
    BeforeAll {
        $script:numbers = 20000
        $script:double = Start-MongoDouble @('--tls-cert', "$certDir/server.crt", '--tls-key', "$certDir/server.key",
            '--user', $user, '--password', $password, '--numbers', "$numbers")
        $script:base = "${user}:$password@127.0.0.1:$($double.Port)/scdemo?directConnection=true&authSource=admin"
    }
    AfterAll { Stop-MongoDouble $script:double }

    It 'passes every check over TLS validated with the CA, and reports the session as a server does' {
        $r = Invoke-MongoCheck "mongodb://$base&tls=true&tlsCAFile=$([uri]::EscapeDataString("$certDir/ca.crt"))" $numbers
        $r.ok | Should -BeTrue -Because (Get-FailedChecks $r)
        $r.connection.tls | Should -BeTrue
        $r.connection.tlsProtocol | Should -BeIn @('TLS 1.2', 'TLS 1.3')
        $r.connection.tlsCipher | Should -Match '^TLS_'
        $r.serverStatus.security.SSLServerSubjectName | Should -Match 'CN=mongo-double'
        $r.serverStatus.transportSecurity.($r.connection.tlsProtocol -replace '^TLS ') | Should -BeGreaterThan 0
    }

    It 'fails certificate validation with a CA that did not sign the certificate' {
        $r = Invoke-MongoCheck "mongodb://$base&tls=true&tlsCAFile=$([uri]::EscapeDataString("$certDir/other-ca.crt"))" $numbers
        $r.ok | Should -BeFalse
        $r.ExitCode | Should -Be 1
        @($r.checks).Count | Should -Be 0
        $r.error.name | Should -Be 'MongoServerSelectionError'
        $r.error.message | Should -Match 'certificate' # Node: "unable to verify the first certificate"
    }

    It 'refuses a plain client' {
        $r = Invoke-MongoCheck "mongodb://$base" $numbers
        $r.ok | Should -BeFalse
        @($r.checks).Count | Should -Be 0
        $r.error.name | Should -Be 'MongoServerSelectionError'
        $r.error.message | Should -Match 'closed'
    }
}

Describe 'MongoDB wire-protocol test double: TLS allowed (TLS and plain on one port)' {
    BeforeAll {
        $script:numbers = 20000
        # The chain after the certificate, and the key in the traditional RSA form: both read by the double.
        $script:double = Start-MongoDouble @('--tls-cert', "$certDir/server-chain.crt", '--tls-key', "$certDir/server-rsa.key",
            '--tls-mode', 'allow', '--numbers', "$numbers")
        $script:base = "127.0.0.1:$($double.Port)/scdemo?directConnection=true"
    }
    AfterAll { Stop-MongoDouble $script:double }

    It 'serves a TLS client and a plain client on the same port' {
        $tls = Invoke-MongoCheck "mongodb://$base&tls=true&tlsCAFile=$([uri]::EscapeDataString("$certDir/ca.crt"))" $numbers
        $plain = Invoke-MongoCheck "mongodb://$base" $numbers
        $tls.ok | Should -BeTrue -Because (Get-FailedChecks $tls)
        $plain.ok | Should -BeTrue -Because (Get-FailedChecks $plain)
        $tls.connection.tls | Should -BeTrue
        $plain.connection.tls | Should -BeFalse
    }

    It 'is stopped by its PID (SIGTERM) and exits cleanly' {
        $double.Process.HasExited | Should -BeFalse
        (Invoke-Native kill @('-TERM', "$($double.Process.Id)")).ExitCode | Should -Be 0
        $double.Process.WaitForExit(10000) | Should -BeTrue
        $double.Process.ExitCode | Should -Be 0
        $double.Stderr.Result | Should -Match '(?m)^MongoDouble: stopped$'
    }
}
