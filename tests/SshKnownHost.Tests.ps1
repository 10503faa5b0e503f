# Host keys: Get-SshServerKey against the lab's REAL sshd, and the workspace's known_hosts (Add/Get/Remove-SshKnownHost)
# checked with the real OpenSSH tools (ssh-keygen -F, ssh -o StrictHostKeyChecking=yes).
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoSshTools = if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { 'ssh-keygen is not installed' }
    elseif (-not (Get-Command ssh -ErrorAction SilentlyContinue)) { 'the ssh client is not installed' }
    else { $null }
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif ($NoSshTools) { $NoSshTools }
    else { $null }
    $NoKeyscan = if ($NoLab) { $NoLab } elseif (-not (Get-Command ssh-keyscan -ErrorAction SilentlyContinue)) { 'ssh-keyscan is not installed' } else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab can cut the link" } else { $null }
    $NoJump = if ($NoLab) { $NoLab } elseif (-not $lab.bastion2.available) { "the lab has no second bastion: $($lab.bastion2.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    # Lines sshd (LogLevel VERBOSE) writes once a client starts user authentication; a key scan must cause none.
    $script:AuthAttemptPattern = 'Accepted |Failed (publickey|none|password|keyboard)|Postponed |authenticating user|Invalid user|Starting session|User child'


    function Get-KeyParts([string] $Line) {
        # "type base64 [comment]" -> "type base64"
        ($Line.Trim() -split '\s+')[0..1] -join ' '
    }

    function Get-SshKeygenFingerprint([string] $Path) {
        $line = & ssh-keygen -l -E sha256 -f $Path
        if ($LASTEXITCODE -ne 0) { throw "ssh-keygen -l failed for $Path" }
        ($line -split ' ')[1]
    }

    function Get-KnownHostsName([string] $HostName, [int] $Port) {
        # The host field OpenSSH writes and looks up: plain for port 22, [host]:port otherwise.
        if ($Port -eq 22) { $HostName } else { "[$HostName]:$Port" }
    }




    function Get-LogLineCount([string] $Path) { @(Get-Content -Path $Path).Count }

    function Get-NewLogLines([string] $Path, [int] $Skip, [string] $Expect = 'Connection from ', [double] $TimeoutSeconds = 10) {
        # The lines sshd added after line $Skip, once a line matching $Expect is there and the log has been quiet for 1 s.
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        $lastCount = -1
        $quietSince = [DateTime]::UtcNow
        while ($true) {
            $lines = @(Get-Content -Path $Path | Select-Object -Skip $Skip)
            if ($lines.Count -ne $lastCount) { $lastCount = $lines.Count; $quietSince = [DateTime]::UtcNow }
            $seen = @($lines | Where-Object { $_ -match $Expect }).Count -gt 0
            if (($seen -and ([DateTime]::UtcNow - $quietSince).TotalSeconds -ge 1) -or [DateTime]::UtcNow -ge $deadline) { return , $lines }
            Start-Sleep -Milliseconds 200
        }
    }


    function Get-SshArgs([string] $KeyPath, [string] $KnownHosts) {
        @('-F', '/dev/null', '-i', $KeyPath, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none',
            '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$KnownHosts", '-o', 'GlobalKnownHostsFile=/dev/null',
            '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', '-p', [string]$lab.bastion.port, "$($lab.bastion.user)@$($lab.bastion.host)")
    }

    # Throwaway host keys for the file-only tests (no traffic: Add/Get/Remove never connect).
    $script:keyDir = Join-Path ([IO.Path]::GetTempPath()) ("sc-hostkeys-" + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $keyDir | Out-Null
    $script:fake = @{}
    if (Get-Command ssh-keygen -ErrorAction SilentlyContinue) {
        foreach ($spec in @(@{ Name = 'a'; Type = 'ed25519' }, @{ Name = 'b'; Type = 'ed25519' }, @{ Name = 'c'; Type = 'ecdsa' })) {
            $path = Join-Path $keyDir $spec.Name
            & ssh-keygen -q -t $spec.Type -N '' -C "fake-$($spec.Name)" -f $path | Out-Null
            $fake[$spec.Name] = [pscustomobject]@{
                PublicKey   = Get-KeyParts (Get-Content -Raw "$path.pub")
                Fingerprint = Get-SshKeygenFingerprint "$path.pub"
                Algorithm   = (Get-Content -Raw "$path.pub").Split(' ')[0]
            }
        }
    }
}

AfterAll {
    if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() }
    Remove-Item -Recurse -Force $keyDir -ErrorAction SilentlyContinue
}

Describe 'Get-SshServerKey' -Tag Lab {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'returns the bastion''s host key, fingerprinted exactly as ssh-keygen -l and ssh-keyscan see it' -Skip:(Skip-When $NoKeyscan) {
        $keys = @(Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 10)

        # The lab's sshd has exactly one host key (ed25519): one object per key type offered.
        $keys.Count | Should -Be 1
        $k = $keys[0]
        $k | Should -BeOfType ([SecureConnect.SshHostKey])
        $k.HostName | Should -Be $lab.bastion.host
        $k.Port | Should -Be $lab.bastion.port
        $k.Algorithm | Should -Be 'ssh-ed25519'
        $k.Fingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint
        $k.Fingerprint | Should -BeExactly (Get-SshKeygenFingerprint $lab.bastion.hostKeyPath)
        $k.PublicKey | Should -BeExactly (Get-KeyParts (Get-Content -Raw $lab.bastion.hostKeyPath))

        $scan = Invoke-Native -FilePath (Get-Command ssh-keyscan).Source -Arguments @('-T', '10', '-t', 'ed25519', '-p', [string]$lab.bastion.port, $lab.bastion.host)
        $scan.ExitCode | Should -Be 0 -Because $scan.Error
        $scanned = @($scan.Output -split "`n" | Where-Object { $_ -match '^\S+ ssh-ed25519 ' })
        $scanned.Count | Should -Be 1
        ($scanned[0] -split ' ', 2)[1].Trim() | Should -BeExactly $k.PublicKey
    }

    It 'does not log in: sshd records the connection but no authentication attempt' -Skip:(Skip-When $NoLab) {
        $before = Get-LogLineCount $lab.bastion.logPath
        $keys = @(Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 10)
        $keys.Count | Should -BeGreaterThan 0

        $newLines = Get-NewLogLines -Path $lab.bastion.logPath -Skip $before
        $text = $newLines -join "`n"
        # The log did see the scan (otherwise the check below would prove nothing) ...
        $text | Should -Match 'Connection from '
        # ... and no user authentication started.
        $text | Should -Not -Match $AuthAttemptPattern
    }

    It 'fails with BastionUnreachable for a closed port on 127.0.0.1, promptly' {
        $port = Get-FreePort
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $err = Get-ErrorRecord { Get-SshServerKey -HostName '127.0.0.1' -Port $port -ConnectTimeout 5 -ErrorAction Stop }
        $sw.Stop()
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.GetSshServerKeyCommand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 7
    }

    It 'gives up within -ConnectTimeout when packets are silently dropped (link down)' -Skip:(Skip-When $NoNetns) {
        Invoke-Lab 'link', 'down'
        try {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $err = Get-ErrorRecord { Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 3 -ErrorAction Stop }
            $sw.Stop()
        }
        finally { Invoke-Lab 'link', 'up' }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'BastionUnreachable,SecureConnect.Commands.GetSshServerKeyCommand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 8
    }
}

Describe 'Add-SshKnownHost with the lab bastion' -Tag Lab {
    BeforeEach {
        $script:ws = New-TestWorkspace
        $script:knownHosts = Join-Path $ws 'known_hosts'
        $script:bastionName = Get-KnownHostsName $lab.bastion.host $lab.bastion.port
    }
    AfterEach {
        if ($lab) { Set-AuthorizedKeys @() }
        Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue
    }

    It 'adds the key from Get-SshServerKey by pipeline into an OpenSSH known_hosts (0600) that ssh-keygen -F finds' -Skip:(Skip-When $NoLab) {
        $added = @(Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 10 | Add-SshKnownHost)

        $added.Count | Should -Be 1
        $added[0] | Should -BeOfType ([SecureConnect.SshKnownHost])
        $added[0].Fingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint
        $added[0].Algorithm | Should -Be 'ssh-ed25519'
        $added[0].Path | Should -Be $knownHosts

        Test-Path $knownHosts | Should -BeTrue
        if (-not $IsWindows) { Get-UnixMode $knownHosts | Should -Be '600' }
        $found = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-F', $bastionName, '-f', $knownHosts)
        $found.ExitCode | Should -Be 0 -Because "ssh-keygen -F $bastionName must find the entry:`n$(Get-Content -Raw $knownHosts)"
        $found.Output | Should -Match ([regex]::Escape((Get-KeyParts (Get-Content -Raw $lab.bastion.hostKeyPath)).Split(' ')[1]))
    }

    It 'writes a known_hosts the real ssh accepts with StrictHostKeyChecking=yes (and an empty one is refused)' -Skip:(Skip-When $NoLab) {
        $key = New-WorkspaceSshKey
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey)

        # Control: the same login with a known_hosts that lacks the bastion must fail on the host key.
        $empty = Join-Path $ws 'empty_known_hosts'
        Set-Content -Path $empty -Value @()
        $refused = Invoke-Native -FilePath (Get-Command ssh).Source -Arguments ((Get-SshArgs $key.PrivateKeyPath $empty) + 'echo authenticated')
        $refused.ExitCode | Should -Be 255
        $refused.Error | Should -Match 'Host key verification failed'

        Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 10 | Add-SshKnownHost | Out-Null
        $ok = Invoke-Native -FilePath (Get-Command ssh).Source -Arguments ((Get-SshArgs $key.PrivateKeyPath $knownHosts) + 'echo authenticated')
        $ok.ExitCode | Should -Be 0 -Because $ok.Error
        $ok.Output.Trim() | Should -Be 'authenticated'
    }

    It 'adds by -HostName/-Port/-PublicKey; the same key twice gives one line' -Skip:(Skip-When $NoLab) {
        $public = Get-KeyParts (Get-Content -Raw $lab.bastion.hostKeyPath)
        $first = Add-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -PublicKey $public
        $first.Fingerprint | Should -BeExactly $lab.bastion.hostKeyFingerprint

        Add-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port -PublicKey $public | Out-Null
        Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 10 | Add-SshKnownHost | Out-Null

        $base64 = $public.Split(' ')[1]
        @(Get-Content $knownHosts | Where-Object { $_.Contains($base64) }).Count | Should -Be 1
        @(Get-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port).Count | Should -Be 1
    }
}

Describe 'The workspace known_hosts (file only, no network)' -Skip:(Skip-When $NoSshTools) {
    BeforeEach {
        $script:ws = New-TestWorkspace
        $script:knownHosts = Join-Path $ws 'known_hosts'
    }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'refuses a -PublicKey that is not ''type base64'' (InvalidPublicKey: <Case>) and writes nothing' -TestCases @(
        @{ Case = 'a word'; Value = 'garbage' }
        @{ Case = 'a type alone'; Value = 'ssh-ed25519' }
        @{ Case = 'base64 that is not'; Value = 'ssh-ed25519 not*base64!' }
        @{ Case = 'a private key header'; Value = '-----BEGIN OPENSSH PRIVATE KEY-----' }
    ) {
        Add-SshKnownHost -HostName 'other.example.test' -PublicKey $fake.a.PublicKey | Out-Null
        $before = (Get-FileHash $knownHosts).Hash
        $err = Get-ErrorRecord { Add-SshKnownHost -HostName 'db1.example.test' -PublicKey $Value -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidPublicKey,SecureConnect.Commands.AddSshKnownHostCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'Get-SshServerKey'
        (Get-FileHash $knownHosts).Hash | Should -Be $before
    }

    It 'writes [host]:port for a port other than 22, and the entries of different ports stay apart' {
        $h = 'db1.example.test'
        $e22 = Add-SshKnownHost -HostName $h -Port 22 -PublicKey $fake.a.PublicKey
        $e2222 = Add-SshKnownHost -HostName $h -Port 2222 -PublicKey $fake.b.PublicKey

        $e22.Hosts | Should -BeExactly $h
        $e2222.Hosts | Should -BeExactly "[$h]:2222"
        $e2222.Port | Should -Be 2222

        $lines = @(Get-Content $knownHosts | Where-Object { $_ -and -not $_.StartsWith('#') })
        $lines | Should -Contain "$h $($fake.a.PublicKey)"
        $lines | Should -Contain "[$h]:2222 $($fake.b.PublicKey)"

        # The real ssh-keygen agrees on which entry belongs to which port.
        $f2222 = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-F', "[$h]:2222", '-f', $knownHosts)
        $f2222.ExitCode | Should -Be 0
        $f2222.Output | Should -Match ([regex]::Escape($fake.b.PublicKey.Split(' ')[1]))
        $f2222.Output | Should -Not -Match ([regex]::Escape($fake.a.PublicKey.Split(' ')[1]))

        $g22 = @(Get-SshKnownHost -HostName $h -Port 22)
        $g22.Count | Should -Be 1
        $g22[0].Fingerprint | Should -BeExactly $fake.a.Fingerprint
        $g2222 = @(Get-SshKnownHost -HostName $h -Port 2222)
        $g2222.Count | Should -Be 1
        $g2222[0].Fingerprint | Should -BeExactly $fake.b.Fingerprint
        @(Get-SshKnownHost -HostName $h -Port 2200).Count | Should -Be 0
        @(Get-SshKnownHost -HostName 'other.example.test').Count | Should -Be 0
        @(Get-SshKnownHost -HostName $h).Fingerprint | Should -Contain $fake.a.Fingerprint
    }

    It 'lists every entry with its line number, path and fingerprint' {
        Add-SshKnownHost -HostName 'one.example.test' -PublicKey $fake.a.PublicKey | Out-Null
        Add-SshKnownHost -HostName 'two.example.test' -Port 2022 -PublicKey $fake.c.PublicKey | Out-Null
        $all = @(Get-SshKnownHost)
        $all.Count | Should -Be 2
        $fileLines = Get-Content $knownHosts
        foreach ($e in $all) {
            $e | Should -BeOfType ([SecureConnect.SshKnownHost])
            $e.Path | Should -Be $knownHosts
            $e.Hashed | Should -BeFalse
            $e.Marker | Should -BeNullOrEmpty
            $fileLines[$e.LineNumber - 1] | Should -Match ([regex]::Escape($e.PublicKey.Split(' ')[1]))
        }
        ($all | Where-Object HostName -eq 'two.example.test').Algorithm | Should -Be $fake.c.Algorithm
        ($all | Where-Object HostName -eq 'two.example.test').Fingerprint | Should -BeExactly $fake.c.Fingerprint
    }

    It 'refuses a different key of the same type without -Force (KnownHostConflict) and replaces it with -Force' {
        $h = 'conflict.example.test'
        Add-SshKnownHost -HostName $h -PublicKey $fake.a.PublicKey | Out-Null
        $before = Get-Content -Raw $knownHosts

        { Add-SshKnownHost -HostName $h -PublicKey $fake.b.PublicKey -ErrorAction Stop } |
            Should -Throw -ErrorId 'KnownHostConflict,SecureConnect.Commands.AddSshKnownHostCommand'
        Get-Content -Raw $knownHosts | Should -BeExactly $before

        $replaced = Add-SshKnownHost -HostName $h -PublicKey $fake.b.PublicKey -Force
        $replaced.Fingerprint | Should -BeExactly $fake.b.Fingerprint
        $entries = @(Get-SshKnownHost -HostName $h -Port 22)
        $entries.Count | Should -Be 1
        $entries[0].Fingerprint | Should -BeExactly $fake.b.Fingerprint
        Get-Content -Raw $knownHosts | Should -Not -Match ([regex]::Escape($fake.a.PublicKey.Split(' ')[1]))
    }

    It 'keeps keys of different types for one host side by side (no conflict)' {
        $h = 'multi.example.test'
        Add-SshKnownHost -HostName $h -PublicKey $fake.a.PublicKey | Out-Null
        Add-SshKnownHost -HostName $h -PublicKey $fake.c.PublicKey | Out-Null
        $entries = @(Get-SshKnownHost -HostName $h -Port 22)
        $entries.Count | Should -Be 2
        ($entries.Algorithm | Sort-Object) | Should -Be (@($fake.a.Algorithm, $fake.c.Algorithm) | Sort-Object)
    }

    It 'adds nothing with -WhatIf' {
        Add-SshKnownHost -HostName 'whatif.example.test' -PublicKey $fake.a.PublicKey -WhatIf
        @(Get-SshKnownHost -HostName 'whatif.example.test').Count | Should -Be 0
        if (Test-Path $knownHosts) { Get-Content -Raw $knownHosts | Should -Not -Match 'whatif\.example\.test' }
    }

    It 'imports a known_hosts file with -Path, plain and ssh-keygen -H hashed, and finds hashed entries by -HostName' {
        $plain = Join-Path $keyDir "plain-$([guid]::NewGuid().ToString('N'))"
        Set-Content -Path $plain -Value @(
            "plain.example.test $($fake.a.PublicKey)"
            "[plain.example.test]:2200 $($fake.c.PublicKey)"
        )
        Add-SshKnownHost -Path $plain | Out-Null
        @(Get-SshKnownHost -HostName 'plain.example.test' -Port 22).Fingerprint | Should -Be @($fake.a.Fingerprint)
        @(Get-SshKnownHost -HostName 'plain.example.test' -Port 2200).Fingerprint | Should -Be @($fake.c.Fingerprint)

        $hashed = Join-Path $keyDir "hashed-$([guid]::NewGuid().ToString('N'))"
        Set-Content -Path $hashed -Value @(
            "secret.example.test $($fake.b.PublicKey)"
            "[secret.example.test]:2222 $($fake.a.PublicKey)"
        )
        $h = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-H', '-f', $hashed)
        $h.ExitCode | Should -Be 0 -Because $h.Error
        Get-Content -Raw $hashed | Should -Not -Match 'secret\.example\.test'   # really hashed

        Add-SshKnownHost -Path $hashed | Out-Null
        Get-Content -Raw $knownHosts | Should -Not -Match 'secret\.example\.test'  # kept hashed
        $found = @(Get-SshKnownHost -HostName 'secret.example.test' -Port 22)
        $found.Count | Should -Be 1
        $found[0].Hashed | Should -BeTrue
        $found[0].Hosts | Should -Match '^\|1\|'
        $found[0].Fingerprint | Should -BeExactly $fake.b.Fingerprint
        $found2222 = @(Get-SshKnownHost -HostName 'secret.example.test' -Port 2222)
        $found2222.Count | Should -Be 1
        $found2222[0].Fingerprint | Should -BeExactly $fake.a.Fingerprint
        @(Get-SshKnownHost -HostName 'nosecret.example.test').Count | Should -Be 0

        # ssh-keygen -F still finds the imported hashed entry in the workspace file.
        $f = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-F', 'secret.example.test', '-f', $knownHosts)
        $f.ExitCode | Should -Be 0
        $f.Output | Should -Match ([regex]::Escape($fake.b.PublicKey.Split(' ')[1]))

        # Importing the same files again adds no duplicates.
        $count = @(Get-Content $knownHosts | Where-Object { $_ -and -not $_.StartsWith('#') }).Count
        Add-SshKnownHost -Path $plain | Out-Null
        Add-SshKnownHost -Path $hashed | Out-Null
        @(Get-Content $knownHosts | Where-Object { $_ -and -not $_.StartsWith('#') }).Count | Should -Be $count
        if (-not $IsWindows) { Get-UnixMode $knownHosts | Should -Be '600' }
    }

    It 'reports a @cert-authority marker from an imported file' {
        $file = Join-Path $keyDir "marker-$([guid]::NewGuid().ToString('N'))"
        Set-Content -Path $file -Value "@cert-authority *.ca.example.test $($fake.a.PublicKey)"
        Add-SshKnownHost -Path $file | Out-Null
        $entry = @(Get-SshKnownHost | Where-Object Hosts -eq '*.ca.example.test')
        $entry.Count | Should -Be 1
        $entry[0].Marker | Should -Be '@cert-authority'
        $entry[0].Fingerprint | Should -BeExactly $fake.a.Fingerprint
    }
}

Describe 'Remove-SshKnownHost' -Skip:(Skip-When $NoSshTools) {
    BeforeEach {
        $script:ws = New-TestWorkspace
        $script:knownHosts = Join-Path $ws 'known_hosts'
        $script:h = 'gone.example.test'
        Add-SshKnownHost -HostName $h -PublicKey $fake.a.PublicKey | Out-Null
        Add-SshKnownHost -HostName $h -PublicKey $fake.c.PublicKey | Out-Null
        Add-SshKnownHost -HostName $h -Port 2222 -PublicKey $fake.b.PublicKey | Out-Null
        Add-SshKnownHost -HostName 'keep.example.test' -PublicKey $fake.b.PublicKey | Out-Null
    }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'changes nothing with -WhatIf' {
        $before = Get-Content -Raw $knownHosts
        Remove-SshKnownHost -HostName $h -WhatIf
        Remove-SshKnownHost -HostName $h -Port 2222 -WhatIf
        Get-Content -Raw $knownHosts | Should -BeExactly $before
    }

    It 'removes one key type with -Algorithm, one port, then the host; other hosts stay' {
        Remove-SshKnownHost -HostName $h -Port 22 -Algorithm $fake.c.Algorithm
        @(Get-SshKnownHost -HostName $h -Port 22).Algorithm | Should -Be @($fake.a.Algorithm)
        @(Get-SshKnownHost -HostName $h -Port 2222).Count | Should -Be 1

        Get-SshKnownHost -HostName $h -Port 2222 | Remove-SshKnownHost
        @(Get-SshKnownHost -HostName $h -Port 2222).Count | Should -Be 0
        @(Get-SshKnownHost -HostName $h -Port 22).Count | Should -Be 1
        $f = Invoke-Native -FilePath (Get-Command ssh-keygen).Source -Arguments @('-F', "[$h]:2222", '-f', $knownHosts)
        $f.ExitCode | Should -Not -Be 0 -Because 'ssh-keygen -F must no longer find the removed [host]:2222 entry'

        Remove-SshKnownHost -HostName $h
        @(Get-SshKnownHost -HostName $h -Port 22).Count | Should -Be 0
        Get-Content -Raw $knownHosts | Should -Not -Match ([regex]::Escape($h))
        @(Get-SshKnownHost -HostName 'keep.example.test').Fingerprint | Should -Be @($fake.b.Fingerprint)
        if (-not $IsWindows) { Get-UnixMode $knownHosts | Should -Be '600' }
    }

    It 'removes a hashed entry found by -HostName through the pipeline' {
        $file = Join-Path $keyDir "rmhashed-$([guid]::NewGuid().ToString('N'))"
        Set-Content -Path $file -Value "hidden.example.test $($fake.c.PublicKey)"
        & ssh-keygen -H -f $file *> $null
        Add-SshKnownHost -Path $file | Out-Null
        @(Get-SshKnownHost -HostName 'hidden.example.test').Count | Should -Be 1

        Get-SshKnownHost -HostName 'hidden.example.test' | Remove-SshKnownHost
        @(Get-SshKnownHost -HostName 'hidden.example.test').Count | Should -Be 0
        @(Get-SshKnownHost -HostName 'keep.example.test').Count | Should -Be 1
    }

    It 'fails with KnownHostNotFound when there is nothing to remove' {
        $err = Get-ErrorRecord { Remove-SshKnownHost -HostName 'never.example.test' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'KnownHostNotFound,SecureConnect.Commands.RemoveSshKnownHostCommand'
        $err = Get-ErrorRecord { Remove-SshKnownHost -HostName $h -Port 2200 -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'KnownHostNotFound,SecureConnect.Commands.RemoveSshKnownHostCommand'
        @(Get-SshKnownHost -HostName $h -Port 22).Count | Should -Be 2
    }
}

Describe 'Get-SshServerKey -JumpHost, and the HostKeyUnknown fix of a bastion behind a jump host' -Tag Lab {
    BeforeAll {
        if (-not $lab) { return }
        Initialize-LabWorkspace
        $script:b2 = $lab.bastion2
        $script:jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
    }
    AfterAll { if ($lab) { Remove-LabWorkspace } }

    It 'fetches the second bastion''s key through the jump host, which it logs in to' -Skip:(Skip-When $NoJump) {
        $logStart = @(Get-Content -Path $lab.bastion.logPath).Count
        $keys = @(Get-SshServerKey -HostName $b2.host -Port $b2.port -JumpHost $jump -ConnectTimeout 15 -ErrorAction Stop)
        $keys.Fingerprint | Should -Contain $b2.hostKeyFingerprint
        $keys[0].HostName | Should -Be $b2.host
        $keys[0].Port | Should -Be $b2.port
        # The jump host saw a login with the workspace key: the scan went through it.
        Wait-Until { (@(Get-Content -Path $lab.bastion.logPath | Select-Object -Skip $logStart) -join "`n") -match 'Accepted publickey' } -TimeoutSeconds 10 | Should -BeTrue
    }

    It 'refuses a jump host whose host key is not trusted (HostKeyUnknown)' -Skip:(Skip-When $NoJump) {
        Remove-SshKnownHost -HostName $lab.bastion.host -Port $lab.bastion.port
        try {
            $err = Get-ErrorRecord { Get-SshServerKey -HostName $b2.host -Port $b2.port -JumpHost $jump -ConnectTimeout 15 -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.GetSshServerKeyCommand'
            $err.Exception.Message | Should -Match ([regex]::Escape($lab.bastion.hostKeyFingerprint))
        }
        finally { Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost | Out-Null }
    }

    It 'the HostKeyUnknown message of a bastion behind a jump host shows a command that works as written' -Skip:(Skip-When $NoJump) {
        $db = $lab.postgresTls
        New-SecureIntegration -Name 'behind-jump' -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath `
            -Credential (New-LabCredential $db) -SshBastion "$($b2.host):$($b2.port)" -SshUser $b2.user -SshJumpHost $jump -ErrorAction Stop | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery 'behind-jump' 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'HostKeyUnknown,SecureConnect.Commands.InvokeSecureQueryCommand'
        $command = [regex]::Match($err.Exception.Message, 'Get-SshServerKey [^|]+\| Add-SshKnownHost').Value
        $command | Should -Match ([regex]::Escape("-JumpHost $jump"))

        Invoke-Expression $command | Out-Null
        (Get-SshKnownHost -HostName $b2.host -Port $b2.port).Fingerprint | Should -Contain $b2.hostKeyFingerprint
        Invoke-SecureQuery 'behind-jump' 'select 1 as one' -As Scalar -ErrorAction Stop | Should -Be 1
    }
}
