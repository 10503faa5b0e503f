# Bad input (issue 16): every malformed file, value and parameter a user or an editor can produce is refused with a
# stable error id, and NOTHING changes on disk (every file of the workspace is hashed before and after; no temp file
# is left behind). Most of this needs no lab; the known_hosts warnings when connecting and the 1 MB query use it.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoMariaDb = if ($NoLab) { $NoLab } elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" } else { $null }

    # workspace.json as an editor can leave it. Each case changes the good settings (see New-GoodSettings) or replaces
    # the text; every command that reads the file must refuse it with the id, and none may rewrite it.
    $SettingsCases = @(
        @{ Case = 'a port as text'; Edit = { param($s) $s.integrations.a.port = '5432' } }
        @{ Case = 'a host name as a number'; Edit = { param($s) $s.integrations.a.hostName = 42 } }
        @{ Case = 'a type as a number'; Edit = { param($s) $s.integrations.a.type = 0 } }
        @{ Case = 'an unknown type'; Edit = { param($s) $s.integrations.a.type = 'Oracle' } }
        @{ Case = 'an SSL mode as a number'; Edit = { param($s) $s.integrations.a.sslMode = 3 } }
        @{ Case = 'an unknown SSL mode name'; Edit = { param($s) $s.integrations.a.sslMode = 'Disable' } }
        @{ Case = 'an SSL mode as a list'; Edit = { param($s) $s.integrations.a.sslMode = @('VerifyFull') } }
        @{ Case = 'a database as an object'; Edit = { param($s) $s.integrations.a.database = @{ name = 'x' } } }
        @{ Case = 'jump hosts as an object'; Edit = { param($s) $s.integrations.a.sshJumpHost = @{ first = 'u@h' } } }
        @{ Case = 'options as a list'; Edit = { param($s) $s.integrations.a.options = @('a', 'b') } }
        @{ Case = 'an option value as an object'; Edit = { param($s) $s.integrations.a.options = @{ Timeout = @{ x = 1 } } } }
        @{ Case = 'an integration that is null'; Edit = { param($s) $s.integrations.a = $null } }
        @{ Case = 'an integration that is a text'; Edit = { param($s) $s.integrations.a = 'db.example' } }
        @{ Case = 'integrations as a list'; Edit = { param($s) $s.integrations = @(1, 2) } }
        @{ Case = 'an integration name with a path separator'; Edit = { param($s) $s.integrations['../x'] = $s.integrations.a } }
        @{ Case = 'a CA file outside the workspace'; Edit = { param($s) $s.integrations.a.caCertificateFile = '../../../etc/ssl/certs/x.pem' } }
        @{ Case = 'a port out of range (70000)'; Edit = { param($s) $s.integrations.a.port = 70000 } }
        @{ Case = 'a negative port'; Edit = { param($s) $s.integrations.a.port = -1 } }
        @{ Case = 'a bastion port of 0'; Edit = { param($s) $s.integrations.a.sshBastionPort = 0 } }
        @{ Case = 'a bastion port of 2^31'; Edit = { param($s) $s.integrations.a.sshBastionPort = 2147483648 } }
        @{ Case = 'an SSL policy as a text'; Edit = { param($s) $s.sslPolicy = 'VerifyFull' } }
        @{ Case = 'an unknown SSL minimum'; Edit = { param($s) $s.sslPolicy.minimum = 'Strongest' } }
        @{ Case = 'an SSL minimum as a number'; Edit = { param($s) $s.sslPolicy.minimum = 2 } }
        @{ Case = 'an SSL minimum as an object'; Edit = { param($s) $s.sslPolicy.minimum = @{ mode = 'VerifyFull' } } }
        @{ Case = 'egress as an object'; Edit = { param($s) $s.egress = @{ cidr = '192.0.2.1/32' } } }
        @{ Case = 'an egress address as a number'; Edit = { param($s) $s.egress[0].cidr = 3221225985 } }
        @{ Case = 'an egress description as a list'; Edit = { param($s) $s.egress[0].description = @('a') } }
        @{ Case = 'an egress address that is not one'; Edit = { param($s) $s.egress[0].cidr = '192.0.2.300' } }
        @{ Case = 'a version as text'; Edit = { param($s) $s.version = '1' } }
        @{ Case = 'a version that is not whole'; Edit = { param($s) $s.version = 1.5 } }
        @{ Case = 'a newer version'; Edit = { param($s) $s.version = 2 }; Id = 'WorkspaceVersionUnsupported' }
        @{ Case = 'a list instead of an object'; Text = '[1, 2, 3]' }
        @{ Case = 'a truncated file'; Text = '{ "version": 1, "integrations": { "a": { "type": "PostgreSQL", "hostN' }
        @{ Case = 'an empty file'; Text = '' }
        @{ Case = 'text that is not JSON'; Text = "hostName = db.example`nport = 5432`n" }
        @{ Case = 'a NUL byte'; Text = "{ `"version`": 1 `0}" }
        @{ Case = '10 MB that is not JSON'; Text = ('{' * 10MB) }
    )

    $BadNames = @(
        @{ Label = '../x'; Name = '../x' }
        @{ Label = 'a/b'; Name = 'a/b' }
        @{ Label = 'a\b'; Name = 'a\b' }
        @{ Label = 'a<LF>b'; Name = "a`nb" }
        @{ Label = 'a<NUL>b'; Name = "a`0b" }
        @{ Label = '<NUL>'; Name = "`0" }
        @{ Label = 'a<ESC>[31mb'; Name = "a`e[31mb" }
        @{ Label = 'a<CR>b'; Name = "a`rb" }
        @{ Label = 'a<DEL>b'; Name = "a$([char]0x7f)b" }
    )
    $ControlNames = @($BadNames | Where-Object { $_.Name -match '[\x00-\x1f\x7f]' })
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    # The commands that read workspace.json, each as a user calls it ($out is a file outside the workspace).
    $script:SettingsCommands = @(
        @{ Command = 'Get-SecureIntegration'; Script = { Get-SecureIntegration } }
        @{ Command = 'Get-SecureIntegration -Name'; Script = { Get-SecureIntegration -Name a } }
        @{ Command = 'Get-SslPolicy'; Script = { Get-SslPolicy } }
        @{ Command = 'Invoke-SecureQuery -Integration'; Script = { Invoke-SecureQuery -Integration a -Query 'select 1' } }
        @{ Command = 'Invoke-SecureQuery ad hoc'; Script = { Invoke-SecureQuery -Type PostgreSQL -HostName 127.0.0.1 -Port 1 -Query 'select 1' } }
        @{ Command = 'Export-SecureQuery'; Script = { Export-SecureQuery -Integration a -Query 'select 1' -Path $out } }
        @{ Command = 'Test-SecureConnection'; Script = { Test-SecureConnection -Integration a } }
        @{ Command = 'Get-EgressAllowlist'; Script = { Get-EgressAllowlist } }
        @{ Command = 'Test-EgressAllowlist'; Script = { Test-EgressAllowlist -Integration a } }
        @{ Command = 'Start-SshTunnel -Integration'; Script = { Start-SshTunnel -Integration a } }
        @{ Command = 'New-SecureIntegration'; Script = { New-SecureIntegration -Name b -Type PostgreSQL -HostName db2.example } }
        @{ Command = 'Set-SecureIntegration'; Script = { Set-SecureIntegration -Name a -Port 5433 } }
        @{ Command = 'Remove-SecureIntegration'; Script = { Remove-SecureIntegration -Name a -Confirm:$false } }
        @{ Command = 'Set-SslPolicy -Minimum'; Script = { Set-SslPolicy -Minimum VerifyFull } }
        @{ Command = 'Set-SslPolicy -Default'; Script = { Set-SslPolicy -Default -Mode Required } }
        @{ Command = 'Add-EgressAddress'; Script = { Add-EgressAddress 192.0.2.10 } }
        @{ Command = 'Remove-EgressAddress'; Script = { Remove-EgressAddress 192.0.2.1 } }
    )

    function Get-WorkspaceState([string] $Root) {
        # Every file and folder of the workspace with the hash of its content: equal before and after means nothing
        # was written, replaced, repaired or left behind (a temp file shows up as a new name).
        if (-not (Test-Path -LiteralPath $Root)) { return @('<no workspace>') }
        @(Get-ChildItem -LiteralPath $Root -Recurse -Force | Sort-Object FullName | ForEach-Object {
                $relative = $_.FullName.Substring($Root.Length)
                if ($_.PSIsContainer) { "$relative/" } else { "$relative $((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash) $([Convert]::ToString([int][IO.File]::GetUnixFileMode($_.FullName), 8))" }
            })
    }

    function Invoke-Refused([scriptblock] $RefusedScript) {
        # The error a call ends with: its id (before the comma), the full id and the exception type; $null if none.
        $ErrorActionPreference = 'Stop'
        try { & $RefusedScript *>&1 | Out-Null; $null }
        catch {
            [pscustomobject]@{
                Id       = ($_.FullyQualifiedErrorId -split ',')[0]
                FullId   = $_.FullyQualifiedErrorId
                Type     = $_.Exception.GetType().FullName
                Message  = $_.Exception.Message
                Category = "$($_.CategoryInfo.Category)"
            }
        }
    }

    function New-GoodSettings {
        # What the module itself writes for one integration, one egress address and a policy.
        [ordered]@{
            version      = 1
            integrations = [ordered]@{
                a = [ordered]@{
                    type = 'PostgreSQL'; hostName = 'db.example'; port = 5432; database = 'app'; sslMode = 'VerifyFull'
                    sshBastion = 'bastion.example'; sshBastionPort = 22; sshUser = 'tunnel'; sshJumpHost = @(); options = [ordered]@{}
                }
            }
            sslPolicy    = [ordered]@{ minimum = 'Required' }
            egress       = @([ordered]@{ cidr = '192.0.2.1/32'; description = 'gateway' })
        }
    }

    function New-PemFiles([string] $Dir) {
        # A certificate, a private key, and both as PEM files; nothing here touches the workspace.
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=Bad Input Test CA', $rsa, 'SHA256', [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $cert = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
        $files = @{
            Cert = Join-Path $Dir 'ca.pem'; Key = Join-Path $Dir 'key.pem'; Empty = Join-Path $Dir 'empty.pem'; Dir = Join-Path $Dir 'a-directory'
        }
        Set-Content -LiteralPath $files.Cert -Value $cert.ExportCertificatePem() -NoNewline
        Set-Content -LiteralPath $files.Key -Value $rsa.ExportPkcs8PrivateKeyPem() -NoNewline
        [IO.File]::WriteAllBytes($files.Empty, [byte[]]@())
        New-Item -ItemType Directory -Path $files.Dir | Out-Null
        # Owner-only, as a private key must be: the refusal tested is about the content, not KeyFileUnprotected.
        foreach ($f in $files.Cert, $files.Key, $files.Empty) { [IO.File]::SetUnixFileMode($f, [IO.UnixFileMode]'UserRead, UserWrite') }
        $files
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'workspace.json that does not read: every command refuses, nothing is rewritten' {
    BeforeAll {
        $script:outDir = Join-Path ([IO.Path]::GetTempPath()) ('sc-badinput-out-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $outDir | Out-Null
        $script:out = Join-Path $outDir 'export.csv'
    }
    AfterEach { if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue } }
    AfterAll { Remove-Item -Recurse -Force $outDir -ErrorAction SilentlyContinue }

    It '<Case>: every command that reads it fails with its id, and no file changes' -TestCases $SettingsCases {
        $script:ws = New-TestWorkspace
        # The module makes the workspace (folders, lock file, modes); then the editor breaks workspace.json.
        New-SecureIntegration -Name seed -Type PostgreSQL -HostName seed.example -ErrorAction Stop | Out-Null
        $file = Join-Path $ws 'workspace.json'
        if ($PSBoundParameters.ContainsKey('Text') -or $null -ne $Text) {
            [IO.File]::WriteAllText($file, $Text, [Text.UTF8Encoding]::new($false))
        }
        else {
            $settings = New-GoodSettings
            & $Edit $settings
            [IO.File]::WriteAllText($file, ($settings | ConvertTo-Json -Depth 10), [Text.UTF8Encoding]::new($false))
        }
        $expected = if ($Id) { $Id } else { 'WorkspaceCorrupt' }
        $before = Get-WorkspaceState $ws

        $wrong = foreach ($command in $SettingsCommands) {
            $result = Invoke-Refused $command.Script
            if (-not $result -or $result.Id -ne $expected -or $result.FullId -notlike "$expected,SecureConnect.Commands.*") {
                "$($command.Command): $(if ($result) { "$($result.FullId) ($($result.Type)): $($result.Message)" } else { 'no error' })"
            }
            elseif ($result.Message -notlike "*$file*") { "$($command.Command): the message does not name the file: $($result.Message)" }
        }

        $SettingsCommands.Count | Should -BeGreaterThan 10
        $wrong | Should -BeNullOrEmpty
        Get-WorkspaceState $ws | Should -Be $before
        Test-Path -LiteralPath $out | Should -BeFalse -Because 'no export file is made from a workspace that does not read'
    }

    It 'a file with a byte order mark reads as the same settings (a Windows editor adds one), and reading does not rewrite it' {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name seed -Type PostgreSQL -HostName seed.example -ErrorAction Stop | Out-Null
        $file = Join-Path $ws 'workspace.json'
        [IO.File]::WriteAllText($file, ((New-GoodSettings) | ConvertTo-Json -Depth 10), [Text.UTF8Encoding]::new($true))
        $before = Get-WorkspaceState $ws

        (Get-SecureIntegration -Name a -ErrorAction Stop).HostName | Should -Be 'db.example'
        (Get-SslPolicy -ErrorAction Stop | Where-Object Integration -eq 'a').Mode | Should -Be 'VerifyFull'
        @(Get-EgressAllowlist -ErrorAction Stop).Cidr | Should -Be '192.0.2.1/32'
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'a 10 MB file that is valid JSON is read (the large value kept) and reading does not rewrite it' {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name seed -Type PostgreSQL -HostName seed.example -ErrorAction Stop | Out-Null
        $settings = New-GoodSettings
        $settings.notes = 'n' * 10MB
        $file = Join-Path $ws 'workspace.json'
        [IO.File]::WriteAllText($file, ($settings | ConvertTo-Json -Depth 10), [Text.UTF8Encoding]::new($false))
        $before = Get-WorkspaceState $ws

        (Get-SecureIntegration -Name a -ErrorAction Stop).Port | Should -Be 5432
        Get-WorkspaceState $ws | Should -Be $before
        # A change keeps what it does not know, whole.
        Set-SecureIntegration -Name a -Port 5433 -ErrorAction Stop
        ((Get-Content -Raw $file | ConvertFrom-Json).notes).Length | Should -Be 10MB
    }

    It 'an unreadable policy fails closed: a query that the minimum would refuse is not attempted with a weaker setting' {
        # A misspelled minimum must not mean "no minimum": the query fails with WorkspaceCorrupt, never connects.
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name seed -Type PostgreSQL -HostName seed.example -ErrorAction Stop | Out-Null
        $settings = New-GoodSettings
        $settings.sslPolicy.minimum = 'VerifyFul'
        $settings.integrations.a.sslMode = 'Preferred'
        [IO.File]::WriteAllText((Join-Path $ws 'workspace.json'), ($settings | ConvertTo-Json -Depth 10))
        $result = Invoke-Refused { Invoke-SecureQuery -Integration a -Query 'select 1' }
        $result.Id | Should -Be 'WorkspaceCorrupt'
        $result.Message | Should -BeLike '*$.sslPolicy.minimum*VerifyFul*'
    }
}

Describe 'known_hosts lines that do not parse are warnings, never dropped' {
    BeforeAll {
        $script:goodKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
        $script:badLines = @(
            'garbage-without-a-key'
            'bad1.example ssh-ed25519 !!!not-base64!!!'
            'bad2.example ssh-ed25519'
            '@not-a-marker bad3.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
        )
    }
    AfterEach { if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue } }

    It 'Get-SshKnownHost warns once per bad line, naming the file and the line number; the good line still works; nothing is rewritten' {
        $script:ws = New-TestWorkspace
        Add-SshKnownHost -HostName good.example -PublicKey $goodKey -ErrorAction Stop | Out-Null
        $file = Join-Path $ws 'known_hosts'
        Add-Content -LiteralPath $file -Value $badLines
        $before = Get-WorkspaceState $ws

        $entries = @(Get-SshKnownHost -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop)
        $entries.HostName | Should -Be 'good.example'
        $warnings.Count | Should -Be $badLines.Count
        foreach ($n in 2..($badLines.Count + 1)) {
            @($warnings | Where-Object { "$_" -like "Line $n of '$file'*" }).Count | Should -Be 1 -Because "line $n is not a key line"
        }
        @(Get-SshKnownHost -HostName good.example -WarningAction SilentlyContinue).Count | Should -Be 1
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'Add-SshKnownHost and Remove-SshKnownHost warn about them and keep them verbatim' {
        $script:ws = New-TestWorkspace
        Add-SshKnownHost -HostName good.example -PublicKey $goodKey -ErrorAction Stop | Out-Null
        $file = Join-Path $ws 'known_hosts'
        Add-Content -LiteralPath $file -Value $badLines

        Add-SshKnownHost -HostName other.example -PublicKey $goodKey -WarningVariable added -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null
        Remove-SshKnownHost -HostName good.example -WarningVariable removed -WarningAction SilentlyContinue -ErrorAction Stop
        $added.Count | Should -Be $badLines.Count
        $removed.Count | Should -Be $badLines.Count
        $lines = Get-Content -LiteralPath $file
        foreach ($line in $badLines) { $lines | Should -Contain $line }
        ($lines -join "`n") | Should -Not -Match 'good\.example'
    }
}

Describe 'known_hosts lines that do not parse, when connecting through the lab bastion' {
    BeforeAll {
        if ($lab -and $lab.bastion.available) {
            Initialize-LabWorkspace
            $script:knownHosts = Join-Path $ws 'known_hosts'
            # Bad lines before and after the bastion's good one.
            $good = @(Get-Content -LiteralPath $knownHosts)
            Set-Content -LiteralPath $knownHosts -Value (@('not a key line', '[127.0.0.1]:1 ssh-ed25519 AAAA') + $good + @('@cert-authority'))
            $script:badLineNumbers = @(1, 2, ($good.Count + 3))
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'Start-SshTunnel warns about each bad line (file and line number) and the tunnel works through the good one' -Skip:(Skip-When $NoLab) {
        $t = Start-SshTunnel -Bastion $ssh.SshBastion -User $ssh.SshUser -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port `
            -NoReconnect -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        try {
            "$($t.State)" | Should -Be 'Up'
            foreach ($n in $badLineNumbers) {
                @($warnings | Where-Object { "$_" -like "Line $n of '$knownHosts'*" }).Count | Should -Be 1 -Because "line $n is not a key line"
            }
            $client = [System.Net.Sockets.TcpClient]::new()
            try { $client.Connect($t.LocalHost, $t.LocalPort); $client.Connected | Should -BeTrue } finally { $client.Dispose() }
        }
        finally { $t | Stop-SshTunnel }
    }

    It 'Invoke-SecureQuery through an integration with a bastion warns about them and returns its rows' -Skip:(Skip-When $NoLab) {
        $db = $lab.postgresTls
        New-SecureIntegration -Name khpg -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
            -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh -ErrorAction Stop | Out-Null
        $row = Invoke-SecureQuery khpg 'select 41 + 1 as answer' -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        $row.answer | Should -Be 42
        foreach ($n in $badLineNumbers) {
            @($warnings | Where-Object { "$_" -like "Line $n of '$knownHosts'*" }).Count | Should -Be 1 -Because "line $n is not a key line"
        }
    }
}

Describe 'files of the wrong kind: a CA that is a key, a key that is a certificate, truncated, empty, a folder' {
    BeforeAll {
        $script:pemDir = Join-Path ([IO.Path]::GetTempPath()) ('sc-badinput-pem-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $pemDir | Out-Null
        $script:pem = New-PemFiles $pemDir
        # An OpenSSH private key made by the module, then cut in half.
        $keyWs = New-TestWorkspace
        $key = New-WorkspaceSshKey -ErrorAction Stop
        $text = Get-Content -Raw -LiteralPath $key.PrivateKeyPath
        $script:truncatedKey = Join-Path $pemDir 'truncated_key'
        Set-Content -LiteralPath $truncatedKey -Value $text.Substring(0, [int]($text.Length / 2)) -NoNewline
        [IO.File]::SetUnixFileMode($truncatedKey, [IO.UnixFileMode]'UserRead, UserWrite')
        Remove-Item -Recurse -Force $keyWs
    }
    AfterEach { if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue } }
    AfterAll { Remove-Item -Recurse -Force $pemDir -ErrorAction SilentlyContinue }

    It '<Label> as a CA certificate: <Id> from New-SecureIntegration, Set-SecureIntegration and Set-SslPolicy, nothing stored' -TestCases @(
        @{ Label = 'a private key'; File = 'Key'; Id = 'CaCertificateInvalid' }
        @{ Label = 'an empty file'; File = 'Empty'; Id = 'CaCertificateInvalid' }
        @{ Label = 'a folder'; File = 'Dir'; Id = 'CaCertificateNotFound' }
        @{ Label = 'a truncated OpenSSH key'; File = 'Truncated'; Id = 'CaCertificateInvalid' }
    ) {
        $path = if ($File -eq 'Truncated') { $truncatedKey } else { $pem[$File] }
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name a -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        foreach ($call in @(
                { New-SecureIntegration -Name b -Type PostgreSQL -HostName db.example -SslMode VerifyCA -CaCertificatePath $path }
                { Set-SecureIntegration -Name a -SslMode VerifyCA -CaCertificatePath $path }
                { Set-SslPolicy -Integration a -Mode VerifyCA -CaCertificatePath $path }
                { Invoke-SecureQuery -Type PostgreSQL -HostName 127.0.0.1 -Port 1 -SslMode VerifyCA -CaCertificatePath $path -Query 'select 1' }
            )) {
            $result = Invoke-Refused $call
            "$($result.Id) ($($result.Type))" | Should -Be "$Id (SecureConnect.Common.SecureConnectException)" -Because "$call"
        }
        Get-WorkspaceState $ws | Should -Be $before
    }

    It '<Label> as the workspace key: Import-WorkspaceSshKey fails with <Id>, no key is written' -TestCases @(
        @{ Label = 'a certificate'; File = 'Cert'; Id = 'KeyFormatUnsupported' }
        @{ Label = 'a truncated key'; File = 'Truncated'; Id = 'KeyFileCorrupt' }
        @{ Label = 'an empty file'; File = 'Empty'; Id = 'KeyFileCorrupt' }
        @{ Label = 'a folder'; File = 'Dir'; Id = 'KeyFileNotFound' }
        @{ Label = 'a path with a NUL'; File = 'Nul'; Id = 'KeyFileNotFound' }
        @{ Label = 'a path with a drive that does not exist'; File = 'Drive'; Id = 'KeyFileNotFound' }
    ) {
        $path = switch ($File) { 'Truncated' { $truncatedKey } 'Nul' { "$pemDir/a`0b" } 'Drive' { 'nosuchdrive:/key' } default { $pem[$File] } }
        $script:ws = New-TestWorkspace
        Add-EgressAddress 192.0.2.1 -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $result = Invoke-Refused { Import-WorkspaceSshKey -Path $path }
        "$($result.Id) ($($result.Type))" | Should -Be "$Id (SecureConnect.Common.SecureConnectException)"
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'a CA path with a drive that does not exist or a NUL is CaCertificateNotFound, not a provider error' {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name a -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        foreach ($path in 'nosuchdrive:/ca.pem', "$pemDir/a`0b.pem") {
            foreach ($call in @(
                    { Set-SslPolicy -Integration a -Mode VerifyCA -CaCertificatePath $path }
                    { Set-SecureIntegration -Name a -CrlPath $path }
                    { Invoke-SecureQuery -Type PostgreSQL -HostName 127.0.0.1 -Port 1 -SslMode VerifyCA -CaCertificatePath $path -Query 'select 1' }
                )) {
                $result = Invoke-Refused $call
                $result.Type | Should -Be 'SecureConnect.Common.SecureConnectException' -Because "$call with '$path' ($($result.FullId): $($result.Message))"
                $result.Id | Should -BeIn 'CaCertificateNotFound', 'CrlNotFound'
            }
        }
        Get-WorkspaceState $ws | Should -Be $before
    }
}

Describe 'ports out of range on every cmdlet that takes one' {
    AfterEach { if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue } }

    It '<Value> for -<Parameter> of <Command> is refused by parameter validation' -TestCases @(
        foreach ($v in 0, -1, 65536, 2147483648) {
            @{ Command = 'Get-SshServerKey'; Parameter = 'Port'; Value = $v; Splat = @{ HostName = '127.0.0.1' } }
            @{ Command = 'Add-SshKnownHost'; Parameter = 'Port'; Value = $v; Splat = @{ HostName = 'h.example'; PublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' } }
            @{ Command = 'Get-SshKnownHost'; Parameter = 'Port'; Value = $v; Splat = @{ HostName = 'h.example' } }
            @{ Command = 'Remove-SshKnownHost'; Parameter = 'Port'; Value = $v; Splat = @{ HostName = 'h.example' } }
            @{ Command = 'New-SecureIntegration'; Parameter = 'Port'; Value = $v; Splat = @{ Name = 'p'; Type = 'PostgreSQL'; HostName = 'db.example' } }
            @{ Command = 'Set-SecureIntegration'; Parameter = 'Port'; Value = $v; Splat = @{ Name = 'p' } }
            @{ Command = 'Invoke-SecureQuery'; Parameter = 'Port'; Value = $v; Splat = @{ Type = 'PostgreSQL'; HostName = '127.0.0.1'; Query = 'select 1' } }
            @{ Command = 'Test-SecureConnection'; Parameter = 'Port'; Value = $v; Splat = @{ Type = 'PostgreSQL'; HostName = '127.0.0.1' } }
            @{ Command = 'ConvertTo-FirewallRule'; Parameter = 'Port'; Value = $v; Splat = @{ Address = '192.0.2.1'; Format = 'Iptables' } }
            @{ Command = 'Start-SshTunnel'; Parameter = 'BastionPort'; Value = $v; Splat = @{ Bastion = '127.0.0.1'; User = 'u'; RemoteHost = 'db'; RemotePort = 5432 } }
            @{ Command = 'Start-SshTunnel'; Parameter = 'RemotePort'; Value = $v; Splat = @{ Bastion = '127.0.0.1'; User = 'u'; RemoteHost = 'db' } }
            if ($v -ne 0) { @{ Command = 'Start-SshTunnel'; Parameter = 'LocalPort'; Value = $v; Splat = @{ Bastion = '127.0.0.1'; User = 'u'; RemoteHost = 'db'; RemotePort = 5432 } } }
        }
    ) {
        # Port 0 is Invoke-SecureQuery's "the engine's default" only when -Port is left out; given, it is refused too.
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name p -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $call = $Splat.Clone()
        $call[$Parameter] = $Value
        $result = Invoke-Refused { & $Command @call }
        $result | Should -Not -BeNullOrEmpty
        $result.Type | Should -BeLike 'System.Management.Automation.ParameterBinding*Exception' -Because $result.Message
        Get-WorkspaceState $ws | Should -Be $before
    }

    It '<Value> in <Parameter> is <Id>, nothing stored' -TestCases @(
        foreach ($p in '0', '-1', '65536', '99999', '2147483648') {
            @{ Parameter = 'Start-SshTunnel -Bastion'; Value = "u@127.0.0.1:$p"; Id = 'InvalidHostName'; Call = { param($v) Start-SshTunnel -Bastion $v -RemoteHost db -RemotePort 5432 } }
            @{ Parameter = 'Start-SshTunnel -JumpHost'; Value = "u@jump.example:$p"; Id = 'InvalidJumpHost'; Call = { param($v) Start-SshTunnel -Bastion u@127.0.0.1 -JumpHost $v -RemoteHost db -RemotePort 5432 } }
            @{ Parameter = 'Get-SshServerKey -JumpHost'; Value = "u@jump.example:$p"; Id = 'InvalidJumpHost'; Call = { param($v) Get-SshServerKey -HostName 127.0.0.1 -JumpHost $v } }
            @{ Parameter = 'New-SecureIntegration -SshBastion'; Value = "u@bastion.example:$p"; Id = 'InvalidJumpHost'; Call = { param($v) New-SecureIntegration -Name q -Type PostgreSQL -HostName db.example -SshBastion $v } }
            @{ Parameter = 'New-SecureIntegration -SshJumpHost'; Value = "u@jump.example:$p"; Id = 'InvalidJumpHost'; Call = { param($v) New-SecureIntegration -Name q -Type PostgreSQL -HostName db.example -SshBastion u@b.example -SshJumpHost $v } }
            @{ Parameter = 'Set-SecureIntegration -SshBastion'; Value = "u@bastion.example:$p"; Id = 'InvalidJumpHost'; Call = { param($v) Set-SecureIntegration -Name p -SshBastion $v } }
        }
    ) {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name p -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $result = Invoke-Refused { & $Call $Value }
        "$($result.Id) ($($result.Type))" | Should -Be "$Id (SecureConnect.Common.SecureConnectException)" -Because $result.Message
        Get-WorkspaceState $ws | Should -Be $before
    }
}

Describe 'names with path separators or control characters are refused at the door' {
    AfterEach { if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue } }

    It 'integration name <Label>: InvalidIntegrationName from New-SecureIntegration, nothing stored' -TestCases $BadNames {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name p -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $result = Invoke-Refused { New-SecureIntegration -Name $Name -Type PostgreSQL -HostName db.example -CaCertificatePath /nonexistent }
        $result.FullId | Should -Be 'InvalidIntegrationName,SecureConnect.Commands.NewSecureIntegrationCommand'
        foreach ($call in { Get-SecureIntegration -Name $Name }, { Set-SecureIntegration -Name $Name -Port 1 }, { Remove-SecureIntegration -Name $Name -Confirm:$false }, { Invoke-SecureQuery -Integration $Name -Query 'select 1' }) {
            (Invoke-Refused $call).Id | Should -BeIn 'IntegrationNotFound', 'InvalidIntegrationName' -Because "$call"
        }
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'known-host name <Label>: InvalidHostName from Add-SshKnownHost, nothing written' -TestCases $BadNames {
        $script:ws = New-TestWorkspace
        Add-SshKnownHost -HostName good.example -PublicKey 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $result = Invoke-Refused { Add-SshKnownHost -HostName $Name -PublicKey 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' }
        $result.FullId | Should -Be 'InvalidHostName,SecureConnect.Commands.AddSshKnownHostCommand'
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'host name <Label>: InvalidHostName from New-SecureIntegration, Set-SecureIntegration, an ad-hoc query and Test-SecureConnection' -TestCases $BadNames {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name p -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        foreach ($call in @(
                { New-SecureIntegration -Name q -Type PostgreSQL -HostName $Name }
                { Set-SecureIntegration -Name p -HostName $Name }
                { Invoke-SecureQuery -Type PostgreSQL -HostName $Name -Port 1 -Query 'select 1' }
                { Test-SecureConnection -Type PostgreSQL -HostName $Name -Port 1 }
                { Start-SshTunnel -Bastion "u@$Name" -RemoteHost db -RemotePort 5432 }
                { New-SecureIntegration -Name q -Type PostgreSQL -HostName db.example -SshBastion "u@$Name" }
            )) {
            $result = Invoke-Refused $call
            "$($result.Id) ($($result.Type))" | Should -BeIn 'InvalidHostName (SecureConnect.Common.SecureConnectException)', 'InvalidJumpHost (SecureConnect.Common.SecureConnectException)' -Because "$call : $($result.Message)"
        }
        Get-WorkspaceState $ws | Should -Be $before
    }

    It 'tunnel name <Label>: InvalidTunnelName from Start-SshTunnel before anything connects' -TestCases $ControlNames {
        $script:ws = New-TestWorkspace
        $result = Invoke-Refused { Start-SshTunnel -Name $Name -Bastion u@127.0.0.1 -BastionPort 1 -RemoteHost db -RemotePort 5432 }
        $result.FullId | Should -Be 'InvalidTunnelName,SecureConnect.Commands.StartSshTunnelCommand'
    }

    It 'an SSH user, jump host, database or login with <Label> is InvalidName, nothing stored' -TestCases $ControlNames {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name p -Type PostgreSQL -HostName db.example -ErrorAction Stop | Out-Null
        $before = Get-WorkspaceState $ws
        $login = [pscredential]::new("u$Name", (ConvertTo-SecureText 'x'))
        foreach ($call in @(
                { New-SecureIntegration -Name q -Type PostgreSQL -HostName db.example -SshBastion b.example -SshUser $Name }
                { Set-SecureIntegration -Name p -SshBastion b.example -SshUser $Name }
                { Set-SecureIntegration -Name p -SshBastion b.example -SshUser u -SshJumpHost "u@j$Name" }
                { Set-SecureIntegration -Name p -Database "d$Name" }
                { Set-SecureIntegration -Name p -Credential $login }
                { Set-SecureIntegration -Name p -CredentialSecret "s$Name" }
                { New-SecureIntegration -Name q -Type PostgreSQL -HostName db.example -CredentialSecret "s$Name" }
                { Invoke-SecureQuery -Type PostgreSQL -HostName 127.0.0.1 -Port 1 -Database "d$Name" -Query 'select 1' }
                { Invoke-SecureQuery -Type PostgreSQL -HostName 127.0.0.1 -Port 1 -Credential $login -Query 'select 1' }
                { Start-SshTunnel -Bastion 127.0.0.1 -User "u$Name" -RemoteHost db -RemotePort 5432 }
            )) {
            $result = Invoke-Refused $call
            "$($result.Id) ($($result.Type))" | Should -BeIn 'InvalidName (SecureConnect.Common.SecureConnectException)', 'InvalidJumpHost (SecureConnect.Common.SecureConnectException)', 'InvalidHostName (SecureConnect.Common.SecureConnectException)' -Because "$call : $($result.Message)"
        }
        Get-WorkspaceState $ws | Should -Be $before
    }
}

Describe 'a query of 1 MB through the lab bastion' {
    BeforeAll {
        if ($lab -and $lab.bastion.available) {
            Initialize-LabWorkspace
            foreach ($pair in @(@('pg', 'PostgreSQL', 'postgresTls'), @('maria', 'MariaDB', 'mariadb'))) {
                $db = $lab.($pair[2])
                if (-not $db.available) { continue }
                New-SecureIntegration -Name $pair[0] -Type $pair[1] -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
                    -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh -ErrorAction Stop | Out-Null
            }
        }
    }
    AfterAll { Remove-LabWorkspace }

    It '<Engine>: a 1 MB SQL text runs whole (its 1 MB literal comes back intact) within its timeout, and the next query runs' -Skip:(Skip-When $(if ($Engine -eq 'MariaDB') { $NoMariaDb } else { $NoLab })) -TestCases @(
        @{ Engine = 'PostgreSQL'; Integration = 'pg' }
        @{ Engine = 'MariaDB'; Integration = 'maria' }
    ) {
        $payload = -join ((1..(1MB / 16)) | ForEach-Object { '0123456789abcdef' })
        $sql = "select '$payload' as s, length('$payload') as n"
        $sql.Length | Should -BeGreaterThan 2MB
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $row = Invoke-SecureQuery $Integration $sql -CommandTimeout 60 -ErrorAction Stop
        $sw.Stop()
        $row.n | Should -Be 1MB
        $row.s.Length | Should -Be 1MB
        $row.s -ceq $payload | Should -BeTrue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 60
        (Invoke-SecureQuery $Integration 'select 7 as seven' -ErrorAction Stop).seven | Should -Be 7
    }

    It '<Engine>: a 1 MB SQL text that is not SQL fails with QueryFailed, fast, and nothing is half-written to an export file' -Skip:(Skip-When $(if ($Engine -eq 'MariaDB') { $NoMariaDb } else { $NoLab })) -TestCases @(
        @{ Engine = 'PostgreSQL'; Integration = 'pg' }
        @{ Engine = 'MariaDB'; Integration = 'maria' }
    ) {
        $junk = 'selec ' + ('x' * 1MB)
        $target = Join-Path ([IO.Path]::GetTempPath()) ("sc-badinput-$([guid]::NewGuid().ToString('N')).csv")
        $result = Invoke-Refused { Export-SecureQuery $Integration $junk -Path $target -CommandTimeout 60 }
        $result.FullId | Should -Be 'QueryFailed,SecureConnect.Commands.ExportSecureQueryCommand'
        $result.Message.Length | Should -BeLessThan 4KB -Because 'the 1 MB text is not repeated whole in the error'
        Test-Path -LiteralPath $target | Should -BeFalse
        @(Get-ChildItem -LiteralPath ([IO.Path]::GetTempPath()) -Filter ("$([IO.Path]::GetFileName($target))*")).Count | Should -Be 0
        (Invoke-SecureQuery $Integration 'select 7 as seven' -ErrorAction Stop).seven | Should -Be 7
    }
}

Describe 'parameters of every .NET type a user might pass, generated from Get-Command' {
    It 'every public cmdlet, parameter set and parameter refuses a value of the wrong type with a binding error or its own id, never a raw .NET exception or a prompt' {
        # In a child pwsh -NonInteractive (a prompt there is an error, not a hang) against a throwaway workspace; the
        # cases come from the module's own metadata, so a new parameter is covered without a change here.
        $script = @'
param([string] $ModulePath, [string] $OutFile, [string] $Only)
$ErrorActionPreference = 'Continue'
Import-Module $ModulePath
$ws = Join-Path ([IO.Path]::GetTempPath()) ("sc-fuzz-" + [guid]::NewGuid().ToString('N'))
$env:SECURECONNECT_HOME = $ws
$outDir = Join-Path ([IO.Path]::GetTempPath()) ("sc-fuzz-out-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $outDir | Out-Null
$secure = ConvertTo-SecureString 'fuzz-passphrase' -AsPlainText -Force
$cred = [pscredential]::new('fuzz', $secure)
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
$byName = @{
    Name = 'fuzz1'; Integration = 'fuzz1'; HostName = '127.0.0.1'; RemoteHost = '127.0.0.1'; Bastion = '127.0.0.1:1'
    Query = 'select 1'; ConnectionString = 'Host=127.0.0.1;Port=1'; Address = '192.0.2.1'; Path = $null
    PublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
    Port = 1; RemotePort = 1; Id = 1; Default = $true
}
function Get-Plausible($p, [string] $cmd) {
    if ($p.Name -eq 'Path') { if ($cmd -eq 'Export-SecureQuery') { return (Join-Path $outDir 'out.csv') } else { return (Join-Path $outDir 'missing-file') } }
    if ($byName.ContainsKey($p.Name)) { return $byName[$p.Name] }
    $t = $p.ParameterType
    if ([Nullable]::GetUnderlyingType($t)) { $t = [Nullable]::GetUnderlyingType($t) }
    if ($t.IsEnum) { return [Enum]::GetValues($t)[0] }
    switch ($t) {
        ([string]) { return 'x' }
        ([string[]]) { return @('x') }
        ([int]) { return 1 }
        ([long[]]) { return @([long]1) }
        ([securestring]) { return $secure }
        ([pscredential]) { return $cred }
        ([hashtable]) { return @{} }
        ([System.Management.Automation.SwitchParameter]) { return $true }
    }
    $null = $null
    return [System.Management.Automation.Internal.AutomationNull]::Value
}
$bad = [ordered]@{
    'null' = { $null }; 'empty' = { '' }; 'array' = { , @(1, 'two') }; 'hashtable' = { @{ a = 1 } }
    'scriptblock' = { { 'sb' } }; 'int.MaxValue' = { [int]::MaxValue }; 'int.MinValue' = { [int]::MinValue }; 'minus one' = { -1 }
    'long.MaxValue' = { [long]::MaxValue }; 'DateTime' = { [datetime]'2020-01-02T03:04:05Z' }
    'PSCustomObject' = { [pscustomobject]@{ a = 1; HostName = 'x' } }; 'SecureString' = { $secure }; 'string' = { 'not-a-value' }
    'whitespace' = { '   ' }; 'control' = { "a`0b`e" }; 'huge string' = { 'x' * 100000 }; 'bad wildcard' = { 'a[b' }; 'path' = { '../x' }
}
$results = [System.Collections.Generic.List[object]]::new()
foreach ($command in Get-Command -Module SecureConnect -CommandType Cmdlet) {
    if ($Only -and $command.Name -notlike $Only) { continue }
    foreach ($set in $command.ParameterSets) {
        $params = @($set.Parameters | Where-Object Name -notin $common)
        foreach ($target in $params) {
            $splat = @{}
            $skip = $false
            foreach ($m in $params | Where-Object { $_.IsMandatory -and $_.Name -ne $target.Name }) {
                $v = Get-Plausible $m $command.Name
                if ($v -is [System.Management.Automation.Internal.AutomationNull] -or $null -eq $v) { $skip = $true }
                $splat[$m.Name] = $v
            }
            if ($skip) { continue }
            foreach ($k in $bad.Keys) {
                $value = & $bad[$k]
                $call = $splat.Clone()
                $call[$target.Name] = $value
                $sw = [Diagnostics.Stopwatch]::StartNew()
                $outcome = 'ok'; $type = ''; $id = ''; $msg = ''
                try {
                    & $command.Name @call -ErrorAction Stop *>&1 | Out-Null
                } catch {
                    $outcome = 'error'; $type = $_.Exception.GetType().FullName; $id = $_.FullyQualifiedErrorId; $msg = $_.Exception.Message
                    if ($msg.Length -gt 300) { $msg = $msg.Substring(0, 300) }
                }
                $results.Add([pscustomobject]@{ Command = $command.Name; Set = $set.Name; Parameter = $target.Name; Value = $k; Outcome = $outcome; Type = $type; Id = $id; Message = $msg; Ms = $sw.ElapsedMilliseconds })
            }
        }
    }
}
Get-SshTunnel | Stop-SshTunnel -ErrorAction SilentlyContinue
$results | ConvertTo-Json -Depth 3 | Set-Content $OutFile
Remove-Item -Recurse -Force $ws, $outDir -ErrorAction SilentlyContinue
'@
        $results = Join-Path ([IO.Path]::GetTempPath()) ("sc-badinput-types-$([guid]::NewGuid().ToString('N')).json")
        try {
            $run = Invoke-ChildPwsh -Script "& { $script } -ModulePath '$($env:SECURECONNECT_MODULE_PATH)' -OutFile '$results'" -TimeoutSeconds 600
            $run.ExitCode | Should -Be 0 -Because $run.Error
            $cases = Get-Content -Raw -LiteralPath $results | ConvertFrom-Json
            $cases.Count | Should -BeGreaterThan 2000 -Because 'every cmdlet, set and parameter is tried with every value'
            $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
            $withParameters = @(Get-Command -Module SecureConnect -CommandType Cmdlet | Where-Object { @($_.Parameters.Keys | Where-Object { $_ -notin $common }).Count -gt 0 })
            @($cases.Command | Sort-Object -Unique) | Should -Be @($withParameters.Name | Sort-Object -Unique)

            $raw = @($cases | Where-Object { $_.Outcome -eq 'error' -and $_.Type -notmatch '^System\.Management\.Automation\.ParameterBinding\w*Exception$|^SecureConnect\.Common\.SecureConnectException$' })
            ($raw | ForEach-Object { "$($_.Command) [$($_.Set)] -$($_.Parameter) <$($_.Value)>: $($_.Type): $($_.Message)" }) | Should -BeNullOrEmpty
            $slow = @($cases | Where-Object { $_.Ms -gt 20000 })
            ($slow | ForEach-Object { "$($_.Command) -$($_.Parameter) <$($_.Value)>: $($_.Ms) ms" }) | Should -BeNullOrEmpty
            $ours = @($cases | Where-Object { $_.Type -eq 'SecureConnect.Common.SecureConnectException' })
            ($ours | Where-Object { $_.Id -notmatch '^\w+,SecureConnect\.Commands\.\w+Command$' } | ForEach-Object { "$($_.Command): $($_.Id)" }) | Should -BeNullOrEmpty
        }
        finally { Remove-Item -LiteralPath $results -ErrorAction SilentlyContinue }
    }
}
