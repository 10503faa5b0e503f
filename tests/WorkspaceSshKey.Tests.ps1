BeforeAll {
    . $PSScriptRoot/common.ps1

    function Get-KeyParts([string] $Line) {
        # "type base64 [comment]" -> type and base64 only, the part ssh-keygen -y must reproduce.
        ($Line.Trim() -split '\s+')[0..1] -join ' '
    }

    function Get-SshKeygenFingerprint([string] $Path) {
        # "256 SHA256:abc... comment (ED25519)" -> bits and fingerprint
        $line = & ssh-keygen -l -E sha256 -f $Path
        if ($LASTEXITCODE -ne 0) { throw "ssh-keygen -l failed for $Path" }
        $parts = $line -split ' '
        [pscustomobject]@{ Bits = [int]$parts[0]; Fingerprint = $parts[1] }
    }

    function Read-OpenSshHeader([string] $Path) {
        # The cipher and KDF names from an OpenSSH private key container (they are stored in clear).
        $b64 = (Get-Content $Path | Where-Object { $_ -notmatch '^-----' }) -join ''
        $bytes = [Convert]::FromBase64String($b64)
        $offset = 15  # "openssh-key-v1\0"
        $names = foreach ($i in 1..2) {
            $len = ([int]$bytes[$offset] -shl 24) -bor ([int]$bytes[$offset + 1] -shl 16) -bor ([int]$bytes[$offset + 2] -shl 8) -bor [int]$bytes[$offset + 3]
            [Text.Encoding]::ASCII.GetString($bytes, $offset + 4, $len)
            $offset += 4 + $len
        }
        [pscustomobject]@{ Magic = [Text.Encoding]::ASCII.GetString($bytes, 0, 14); Cipher = $names[0]; Kdf = $names[1] }
    }

}

BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $NoSshKeygen = if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { 'ssh-keygen is not installed (build.ps1 -Task Lab installs it)' }
    $OnWindows = if ($IsWindows) { 'Unix file modes do not exist on Windows' }
}

Describe 'New-WorkspaceSshKey' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'creates a <Algorithm> key that the real ssh-keygen reads and fingerprints identically' -Skip:(Skip-When $NoSshKeygen) -TestCases @(
        @{ Algorithm = 'Ed25519'; Type = 'ssh-ed25519'; Bits = 256 }
        @{ Algorithm = 'Rsa'; Type = 'ssh-rsa'; Bits = 4096 }
        @{ Algorithm = 'Ecdsa'; Type = 'ecdsa-sha2-nistp256'; Bits = 256 }
    ) {
        $key = New-WorkspaceSshKey -Algorithm $Algorithm -Comment 'pester@test'

        $key | Should -BeOfType ([SecureConnect.WorkspaceSshKey])
        $key.Algorithm | Should -Be $Algorithm
        $key.Encrypted | Should -BeFalse
        $key.PublicKey | Should -Match "^$Type [A-Za-z0-9+/=]+ pester@test$"
        (Get-Content $key.PrivateKeyPath -TotalCount 1) | Should -Be '-----BEGIN OPENSSH PRIVATE KEY-----'
        (Get-Content -Raw $key.PublicKeyPath).Trim() | Should -Be $key.PublicKey

        $derived = & ssh-keygen -y -f $key.PrivateKeyPath
        $LASTEXITCODE | Should -Be 0
        Get-KeyParts $derived | Should -Be (Get-KeyParts $key.PublicKey)

        $printed = Get-SshKeygenFingerprint $key.PublicKeyPath
        $printed.Fingerprint | Should -Be $key.Fingerprint
        $printed.Bits | Should -Be $Bits
        $key.Fingerprint | Should -Match '^SHA256:[A-Za-z0-9+/]{43}$'
    }

    It 'protects the workspace and the private key with owner-only modes' -Skip:(Skip-When $OnWindows) {
        $key = New-WorkspaceSshKey
        Get-UnixMode $key.PrivateKeyPath | Should -Be '600'
        Get-UnixMode $ws | Should -Be '700'
        Get-UnixMode (Join-Path $ws 'keys') | Should -Be '700'
        Test-Path (Join-Path $ws 'ca') | Should -BeTrue
        Test-Path (Join-Path $ws 'workspace.json') | Should -BeTrue
    }

    It 'encrypts a <Algorithm> key with -Passphrase as ssh-keygen does (aes256-ctr, bcrypt) and opens only with that passphrase' -Skip:(Skip-When $NoSshKeygen) -TestCases @(
        @{ Algorithm = 'Ed25519' }
        @{ Algorithm = 'Rsa' }
        @{ Algorithm = 'Ecdsa' }
    ) {
        $key = New-WorkspaceSshKey -Algorithm $Algorithm -Passphrase (ConvertTo-SecureText 'right horse battery')
        $key.Algorithm | Should -Be $Algorithm
        $key.Encrypted | Should -BeTrue

        $header = Read-OpenSshHeader $key.PrivateKeyPath
        $header.Magic | Should -Be 'openssh-key-v1'
        $header.Cipher | Should -Be 'aes256-ctr'
        $header.Kdf | Should -Be 'bcrypt'

        $derived = & ssh-keygen -y -P 'right horse battery' -f $key.PrivateKeyPath
        $LASTEXITCODE | Should -Be 0
        Get-KeyParts $derived | Should -Be (Get-KeyParts $key.PublicKey)

        & ssh-keygen -y -P 'wrong horse' -f $key.PrivateKeyPath 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
        & ssh-keygen -y -P '' -f $key.PrivateKeyPath 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
        (Get-WorkspaceSshKey).Encrypted | Should -BeTrue
    }

    It 'writes no passphrase and no private key material into workspace.json or Verbose output' {
        $verbose = New-WorkspaceSshKey -Passphrase (ConvertTo-SecureText 'Sup3r-Secret-Phrase') -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $key = Get-WorkspaceSshKey
        $json = Get-Content -Raw (Join-Path $ws 'workspace.json')
        $json | Should -Not -Match 'Sup3r-Secret-Phrase'
        $json | Should -Not -Match 'PRIVATE KEY'
        ($json | ConvertFrom-Json).workspaceKey.fingerprint | Should -Be $key.Fingerprint
        $verbose | Should -Not -BeNullOrEmpty
        ($verbose.Message -join "`n") | Should -Not -Match 'Sup3r-Secret-Phrase'
        Get-ChildItem -Recurse -File $ws | ForEach-Object {
            Get-Content -Raw $_.FullName | Should -Not -Match 'Sup3r-Secret-Phrase'
        }
    }

    It 'refuses to overwrite an existing key without -Force (WorkspaceKeyExists) and changes nothing' {
        $first = New-WorkspaceSshKey
        $before = Get-Content -Raw $first.PrivateKeyPath
        { New-WorkspaceSshKey -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceKeyExists,SecureConnect.Commands.NewWorkspaceSshKeyCommand'
        { New-WorkspaceSshKey -WhatIf } | Should -Throw -ErrorId 'WorkspaceKeyExists,SecureConnect.Commands.NewWorkspaceSshKeyCommand'
        Get-Content -Raw $first.PrivateKeyPath | Should -Be $before
        (Get-WorkspaceSshKey).Fingerprint | Should -Be $first.Fingerprint
    }

    It 'rotates with -Force: the old pair moves to keys/retired/<timestamp>/ and Verbose says so' {
        $old = New-WorkspaceSshKey
        $oldPrivate = Get-Content -Raw $old.PrivateKeyPath
        $verbose = New-WorkspaceSshKey -Force -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $new = Get-WorkspaceSshKey

        $new.Fingerprint | Should -Not -Be $old.Fingerprint
        $retired = @(Get-ChildItem (Join-Path $ws 'keys/retired') -Directory)
        $retired.Count | Should -Be 1
        Get-Content -Raw (Join-Path $retired[0].FullName 'workspace_key') | Should -Be $oldPrivate
        (Get-Content -Raw (Join-Path $retired[0].FullName 'workspace_key.pub')).Trim() | Should -Be $old.PublicKey
        ($verbose.Message -join "`n") | Should -Match ([regex]::Escape($old.Fingerprint))
        ($verbose.Message -join "`n") | Should -Match 'retired'
    }

    It 'creates nothing with -WhatIf' {
        New-WorkspaceSshKey -WhatIf
        Test-Path (Join-Path $ws 'keys/workspace_key') | Should -BeFalse
        { Get-WorkspaceSshKey -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceKeyNotFound,SecureConnect.Commands.GetWorkspaceSshKeyCommand'
    }

    It 'stops on a corrupt workspace.json, naming file and line, and writes nothing' {
        New-Item -ItemType Directory -Force $ws | Out-Null
        $corrupt = "{`n  ""version"": 1,`n  oops`n}`n"
        Set-Content -Path (Join-Path $ws 'workspace.json') -Value $corrupt -NoNewline
        $err = $null
        try { New-WorkspaceSshKey -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.NewWorkspaceSshKeyCommand'
        $err.Exception.Message | Should -Match 'workspace\.json'
        $err.Exception.Message | Should -Match 'line 3'
        Get-Content -Raw (Join-Path $ws 'workspace.json') | Should -Be $corrupt
        Test-Path (Join-Path $ws 'keys/workspace_key') | Should -BeFalse
    }

    It 'lets exactly one of several parallel processes create the key; the others get WorkspaceKeyExists' {
        $script = @'
Import-Module $env:SECURECONNECT_MODULE_PATH
try { $k = New-WorkspaceSshKey -ErrorAction Stop; "CREATED $($k.Fingerprint)" }
catch { "ERROR $($_.FullyQualifiedErrorId)" }
'@
        $processes = 1..4 | ForEach-Object { Start-ChildPwsh -Script $script -Environment @{ SECURECONNECT_HOME = $ws } }
        $outputs = foreach ($p in $processes) {
            $text = $p.StandardOutput.ReadToEndAsync()
            $p.WaitForExit(120000) | Should -BeTrue
            $text.Result.Trim()
        }
        $created = @($outputs | Where-Object { $_ -like 'CREATED *' })
        $refused = @($outputs | Where-Object { $_ -eq 'ERROR WorkspaceKeyExists,SecureConnect.Commands.NewWorkspaceSshKeyCommand' })
        $created.Count | Should -Be 1 -Because ($outputs -join ' | ')
        $refused.Count | Should -Be 3 -Because ($outputs -join ' | ')
        (Get-WorkspaceSshKey).Fingerprint | Should -Be ($created[0] -replace '^CREATED ')
    }
}

Describe 'A key file that cannot be written' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'is WorkspaceNotWritable naming the file, with no half-written key left, when <File> cannot be written' -TestCases @(
        @{ File = 'workspace_key' }
        @{ File = 'workspace_key.pub' }
    ) {
        # A directory where the file must go (tests run as root, so permissions cannot stop a write).
        New-Item -ItemType Directory -Force (Join-Path $ws "keys/$File") | Out-Null
        $err = Get-ErrorRecord { New-WorkspaceSshKey -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceNotWritable,SecureConnect.Commands.NewWorkspaceSshKeyCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($File))
        $other = if ($File -eq 'workspace_key') { 'workspace_key.pub' } else { 'workspace_key' }
        Test-Path -PathType Leaf (Join-Path $ws "keys/$other") | Should -BeFalse -Because 'a key pair is written whole or not at all'
        { Get-WorkspaceSshKey -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceKeyNotFound,SecureConnect.Commands.GetWorkspaceSshKeyCommand'
    }

    It 'puts the previous key back when rotating it (-Force) fails half way' {
        $old = New-WorkspaceSshKey
        $oldBytes = [IO.File]::ReadAllBytes($old.PrivateKeyPath)
        # The new public half cannot be written: a directory stands where it goes.
        Remove-Item $old.PublicKeyPath
        New-Item -ItemType Directory $old.PublicKeyPath | Out-Null
        $err = Get-ErrorRecord { New-WorkspaceSshKey -Force -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceNotWritable,SecureConnect.Commands.NewWorkspaceSshKeyCommand'
        [IO.File]::ReadAllBytes($old.PrivateKeyPath) | Should -Be $oldBytes -Because 'the previous private key is back in its place, not lost in keys/retired'
    }
}

Describe 'Get-WorkspaceSshKey' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'says to run New-WorkspaceSshKey when there is no key (WorkspaceKeyNotFound)' {
        $err = $null
        try { Get-WorkspaceSshKey -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceKeyNotFound,SecureConnect.Commands.GetWorkspaceSshKeyCommand'
        $err.Exception.Message | Should -Match 'New-WorkspaceSshKey'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'returns the key New-WorkspaceSshKey made, after SECURECONNECT_HOME switches back and forth' {
        $first = New-WorkspaceSshKey
        $other = New-TestWorkspace
        try {
            $second = New-WorkspaceSshKey
            $second.Fingerprint | Should -Not -Be $first.Fingerprint
        }
        finally {
            $env:SECURECONNECT_HOME = $ws
            Remove-Item -Recurse -Force $other
        }
        $got = Get-WorkspaceSshKey
        $got.Fingerprint | Should -Be $first.Fingerprint
        $got.PublicKey | Should -Be $first.PublicKey
        $got.PrivateKeyPath | Should -Be $first.PrivateKeyPath
        $got.Created | Should -Be $first.Created
    }
}

Describe 'Remove-WorkspaceSshKey' {
    BeforeEach { $script:ws = New-TestWorkspace; $script:key = New-WorkspaceSshKey }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'is ConfirmImpact High' {
        (Get-Command Remove-WorkspaceSshKey).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'High'
    }

    It 'keeps the key with -WhatIf, even with -Force' {
        Remove-WorkspaceSshKey -WhatIf
        Remove-WorkspaceSshKey -Force -WhatIf
        Test-Path $key.PrivateKeyPath | Should -BeTrue
    }

    It 'deletes the key pair with <Switch>' -TestCases @(@{ Switch = '-Force' }, @{ Switch = '-Confirm:$false' }) {
        if ($Switch -eq '-Force') { Remove-WorkspaceSshKey -Force } else { Remove-WorkspaceSshKey -Confirm:$false }
        Test-Path $key.PrivateKeyPath | Should -BeFalse
        Test-Path $key.PublicKeyPath | Should -BeFalse
        { Get-WorkspaceSshKey -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceKeyNotFound,SecureConnect.Commands.GetWorkspaceSshKeyCommand'
        (Get-Content -Raw (Join-Path $ws 'workspace.json') | ConvertFrom-Json).PSObject.Properties.Name | Should -Not -Contain 'workspaceKey'
    }

    It 'fails with WorkspaceKeyNotFound when there is nothing to remove' {
        Remove-WorkspaceSshKey -Force
        { Remove-WorkspaceSshKey -Force } | Should -Throw -ErrorId 'WorkspaceKeyNotFound,SecureConnect.Commands.RemoveWorkspaceSshKeyCommand'
    }

    It 'under pwsh -NonInteractive fails with ConfirmationRequired, says to add -Force, deletes nothing; -Force then removes it' {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SECURECONNECT_MODULE_PATH'; " +
            "try { Remove-WorkspaceSshKey; 'REMOVED' } catch { 'ID=' + `$_.FullyQualifiedErrorId; 'MSG=' + `$_.Exception.Message }"
        $run = Invoke-ChildPwsh -Script $script -Environment @{ SECURECONNECT_HOME = $ws }
        $run.Output | Should -Match 'ID=ConfirmationRequired,SecureConnect\.Commands\.RemoveWorkspaceSshKeyCommand'
        $run.Output | Should -Match 'add -Force'
        $run.Output | Should -Not -Match 'REMOVED'
        $run.Output | Should -Not -Match 'NonInteractive mode'
        Test-Path $key.PrivateKeyPath | Should -BeTrue

        $forced = Invoke-ChildPwsh -Script "`$ErrorActionPreference = 'Stop'; Import-Module '$env:SECURECONNECT_MODULE_PATH'; Remove-WorkspaceSshKey -Force; 'REMOVED'" -Environment @{ SECURECONNECT_HOME = $ws }
        $forced.Output | Should -Match 'REMOVED'
        Test-Path $key.PrivateKeyPath | Should -BeFalse
    }

    It 'in a host without a user interface fails with ConfirmationRequired instead of a host error' {
        # A runspace of its own has no UI to prompt with, as in a service that hosts PowerShell.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$env:SECURECONNECT_MODULE_PATH'; `$env:SECURECONNECT_HOME = '$ws'; try { Remove-WorkspaceSshKey -ErrorAction Stop; 'REMOVED' } catch { `$_.FullyQualifiedErrorId }")
            $out = @($ps.Invoke())
        }
        finally { $ps.Dispose() }
        $out -join ' ' | Should -Match '^ConfirmationRequired,SecureConnect\.Commands\.RemoveWorkspaceSshKeyCommand$'
        Test-Path $key.PrivateKeyPath | Should -BeTrue
    }
}

Describe 'Unlock-WorkspaceSshKey and Lock-WorkspaceSshKey' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        $script:pass = ConvertTo-SecureText 'correct horse battery'
        $script:key = New-WorkspaceSshKey -Passphrase $pass
    }
    AfterEach { Lock-WorkspaceSshKey; Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'refuses a wrong passphrase with KeyPassphraseIncorrect and returns the key for the right one' {
        { Unlock-WorkspaceSshKey -Passphrase (ConvertTo-SecureText 'wrong') } | Should -Throw -ErrorId 'KeyPassphraseIncorrect,SecureConnect.Commands.UnlockWorkspaceSshKeyCommand'
        $unlocked = Unlock-WorkspaceSshKey -Passphrase $pass
        $unlocked.Fingerprint | Should -Be $key.Fingerprint
        $unlocked.Encrypted | Should -BeTrue
    }

    It 'writes the passphrase nowhere: not in the workspace, not in Verbose output' {
        $verbose = Unlock-WorkspaceSshKey -Passphrase $pass -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose -join ' ') | Should -Match 'in memory only'
        ($verbose -join ' ') | Should -Not -Match 'correct horse'
        foreach ($file in Get-ChildItem -Recurse -File $ws) {
            Get-Content -Raw $file.FullName | Should -Not -Match 'correct horse' -Because $file.FullName
        }
    }

    It 'asks nothing of an unencrypted key' {
        New-WorkspaceSshKey -Force | Out-Null
        (Unlock-WorkspaceSshKey -Passphrase (ConvertTo-SecureText 'anything')).Encrypted | Should -BeFalse
    }
}

Describe 'A corrupt workspace key (WorkspaceKeyCorrupt)' {
    BeforeAll {
        function Get-DiskState([string] $Root) {
            # Every folder and file under the workspace, files with size, write time and SHA-256.
            Get-ChildItem -Recurse -Force $Root | Sort-Object FullName | ForEach-Object {
                $relative = [IO.Path]::GetRelativePath($Root, $_.FullName)
                if ($_.PSIsContainer) { "$relative/" }
                else { "$relative $($_.Length) $($_.LastWriteTimeUtc.Ticks) $((Get-FileHash -Algorithm SHA256 $_.FullName).Hash)" }
            }
        }

        function Assert-WorkspaceKeyCorrupt([string] $File) {
            # Every cmdlet that reads the stored key stops with the same id, names the damaged file and says
            # how to replace it; none of them writes, moves or deletes anything.
            $before = Get-DiskState $ws
            $err = { Get-WorkspaceSshKey -ErrorAction Stop } |
                Should -Throw -ErrorId 'WorkspaceKeyCorrupt,SecureConnect.Commands.GetWorkspaceSshKeyCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidData'
            $err.TargetObject | Should -Be $File
            $err.Exception.Message | Should -Match ([regex]::Escape($File))
            $err.Exception.Message | Should -Match 'New-WorkspaceSshKey -Force'
            { ConvertTo-AuthorizedKey -PermitOpen 'db:5432' } |
                Should -Throw -ErrorId 'WorkspaceKeyCorrupt,SecureConnect.Commands.ConvertToAuthorizedKeyCommand'
            { Remove-WorkspaceSshKey -Force } |
                Should -Throw -ErrorId 'WorkspaceKeyCorrupt,SecureConnect.Commands.RemoveWorkspaceSshKeyCommand'
            $after = Get-DiskState $ws
            $after -join "`n" | Should -BeExactly ($before -join "`n")
        }
    }
    BeforeEach { $script:ws = New-TestWorkspace; $script:key = New-WorkspaceSshKey }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'refuses a private key file that is <Case>, and changes nothing on disk' -TestCases @(
        @{ Case = 'text'; Bytes = [Text.Encoding]::UTF8.GetBytes("this is not a private key`n") }
        @{ Case = 'binary'; Bytes = [byte[]](0..255) }
        @{ Case = 'armored garbage'; Bytes = [Text.Encoding]::UTF8.GetBytes("-----BEGIN OPENSSH PRIVATE KEY-----`nbm90IGEga2V5IGF0IGFsbA==`n-----END OPENSSH PRIVATE KEY-----`n") }
        @{ Case = 'empty'; Bytes = [byte[]]@() }
    ) {
        [IO.File]::WriteAllBytes($key.PrivateKeyPath, $Bytes)
        Assert-WorkspaceKeyCorrupt $key.PrivateKeyPath
    }

    It 'refuses a public key file that is <Case>, and changes nothing on disk' -TestCases @(
        @{ Case = 'not a key line'; Line = 'this is not an OpenSSH public key' }
        @{ Case = 'not base64'; Line = 'ssh-ed25519 !!!not-base64!!! pester@test' }
        @{ Case = 'a type SecureConnect does not make'; Line = 'ssh-dss AAAAB3NzaC1kc3M= pester@test' }
        @{ Case = 'empty'; Line = '' }
        @{ Case = 'a blob without a key'; Line = 'ssh-ed25519 AAAA pester@test' }
        @{ Case = 'a type that contradicts its blob'; Line = 'ssh-rsa {ed25519 blob} pester@test' }
    ) {
        $Line = $Line.Replace('{ed25519 blob}', $key.PublicKey.Split(' ')[1])
        Set-Content -Path $key.PublicKeyPath -Value $Line
        Assert-WorkspaceKeyCorrupt $key.PublicKeyPath
    }

    It 'is repaired as the message says, with New-WorkspaceSshKey -Force, which retires the damaged pair' {
        Set-Content -Path $key.PrivateKeyPath -Value 'this is not a private key'
        { Get-WorkspaceSshKey -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceKeyCorrupt,SecureConnect.Commands.GetWorkspaceSshKeyCommand'
        $new = New-WorkspaceSshKey -Force
        (Get-WorkspaceSshKey).Fingerprint | Should -Be $new.Fingerprint
        $retired = @(Get-ChildItem (Join-Path $ws 'keys/retired') -Directory)
        $retired.Count | Should -Be 1
        (Get-Content -Raw (Join-Path $retired[0].FullName 'workspace_key')).Trim() | Should -Be 'this is not a private key'
    }
}

Describe 'Import-WorkspaceSshKey' -Skip:(Skip-When $NoSshKeygen) {
    BeforeAll {
        $script:src = Join-Path ([IO.Path]::GetTempPath()) ("sc-import-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $src | Out-Null
        function New-SourceKey([string] $Name, [string[]] $KeygenArgs) {
            $path = Join-Path $src $Name
            & ssh-keygen -q -N '' -C "$Name@source" -f $path @KeygenArgs | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed for $Name" }
            $path
        }
    }
    AfterAll { Remove-Item -Recurse -Force $src -ErrorAction SilentlyContinue }
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'adopts an ssh-keygen <Name> key with the same fingerprint' -TestCases @(
        @{ Name = 'ed25519'; KeygenArgs = @('-t', 'ed25519'); Algorithm = 'Ed25519' }
        @{ Name = 'rsa-pem'; KeygenArgs = @('-t', 'rsa', '-b', '2048', '-m', 'PEM'); Algorithm = 'Rsa' }
        @{ Name = 'rsa-pkcs8'; KeygenArgs = @('-t', 'rsa', '-b', '2048', '-m', 'PKCS8'); Algorithm = 'Rsa' }
        @{ Name = 'ecdsa'; KeygenArgs = @('-t', 'ecdsa', '-b', '256'); Algorithm = 'Ecdsa' }
    ) {
        $path = New-SourceKey "$Name-$([guid]::NewGuid().ToString('N').Substring(0,6))" $KeygenArgs
        $key = Import-WorkspaceSshKey -Path $path
        $key.Algorithm | Should -Be $Algorithm
        $key.Fingerprint | Should -Be (Get-SshKeygenFingerprint "$path.pub").Fingerprint
        (Get-Content $key.PrivateKeyPath -TotalCount 1) | Should -Be '-----BEGIN OPENSSH PRIVATE KEY-----'
        Get-KeyParts (& ssh-keygen -y -f $key.PrivateKeyPath) | Should -Be (Get-KeyParts (Get-Content "$path.pub"))
        if (-not $IsWindows) { Get-UnixMode $key.PrivateKeyPath | Should -Be '600' }
    }

    It 'takes the file from Get-ChildItem through the pipeline' {
        $path = New-SourceKey 'piped' @('-t', 'ed25519')
        $key = Get-ChildItem $path | Import-WorkspaceSshKey
        $key.Fingerprint | Should -Be (Get-SshKeygenFingerprint "$path.pub").Fingerprint
    }

    It 'keeps an ssh-keygen-encrypted <Name> key encrypted with the same passphrase and the same fingerprint' -TestCases @(
        @{ Name = 'ed25519'; KeygenArgs = @('-t', 'ed25519'); Algorithm = 'Ed25519' }
        @{ Name = 'rsa'; KeygenArgs = @('-t', 'rsa', '-b', '2048'); Algorithm = 'Rsa' }
        @{ Name = 'rsa-pem'; KeygenArgs = @('-t', 'rsa', '-b', '2048', '-m', 'PEM'); Algorithm = 'Rsa' }
        @{ Name = 'rsa-pkcs8'; KeygenArgs = @('-t', 'rsa', '-b', '2048', '-m', 'PKCS8'); Algorithm = 'Rsa' }
        @{ Name = 'ecdsa'; KeygenArgs = @('-t', 'ecdsa', '-b', '256'); Algorithm = 'Ecdsa' }
        @{ Name = 'ecdsa-384'; KeygenArgs = @('-t', 'ecdsa', '-b', '384'); Algorithm = 'Ecdsa' }
        @{ Name = 'ecdsa-pem'; KeygenArgs = @('-t', 'ecdsa', '-b', '256', '-m', 'PEM'); Algorithm = 'Ecdsa' }
    ) {
        $path = Join-Path $src "enc-$Name-$([guid]::NewGuid().ToString('N').Substring(0,6))"
        & ssh-keygen -q -N 'open sesame' -C "enc-$Name" -f $path @KeygenArgs | Out-Null
        $LASTEXITCODE | Should -Be 0
        # The source really is encrypted: ssh-keygen cannot open it without the passphrase.
        & ssh-keygen -y -P '' -f $path 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0

        $key = Import-WorkspaceSshKey -Path $path -Passphrase (ConvertTo-SecureText 'open sesame')
        $key.Algorithm | Should -Be $Algorithm
        $key.Encrypted | Should -BeTrue
        $key.Fingerprint | Should -Be (Get-SshKeygenFingerprint "$path.pub").Fingerprint
        (Get-WorkspaceSshKey).Fingerprint | Should -Be $key.Fingerprint

        $header = Read-OpenSshHeader $key.PrivateKeyPath
        $header.Cipher | Should -Be 'aes256-ctr'
        $header.Kdf | Should -Be 'bcrypt'
        $derived = & ssh-keygen -y -P 'open sesame' -f $key.PrivateKeyPath
        $LASTEXITCODE | Should -Be 0
        Get-KeyParts $derived | Should -Be (Get-KeyParts (Get-Content "$path.pub"))
        & ssh-keygen -y -P '' -f $key.PrivateKeyPath 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
        & ssh-keygen -y -P 'not it' -f $key.PrivateKeyPath 2>$null | Out-Null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'refuses <Case> with <ErrorId>' -TestCases @(
        @{ Case = 'a wrong passphrase'; ErrorId = 'KeyPassphraseIncorrect'; Passphrase = 'not it' }
        @{ Case = 'no passphrase for an encrypted key'; ErrorId = 'KeyPassphraseRequired'; Passphrase = $null }
    ) {
        $path = Join-Path $src "enc-$([guid]::NewGuid().ToString('N'))"
        & ssh-keygen -q -t ed25519 -N 'open sesame' -f $path | Out-Null
        $params = @{ Path = $path }
        if ($Passphrase) { $params.Passphrase = ConvertTo-SecureText $Passphrase }
        { Import-WorkspaceSshKey @params } | Should -Throw -ErrorId "$ErrorId,SecureConnect.Commands.ImportWorkspaceSshKeyCommand"
        Test-Path (Join-Path $ws 'keys/workspace_key') | Should -BeFalse
    }

    It 'refuses a public key (KeyIsPublicKey), garbage (KeyFileCorrupt), a PuTTY key (KeyFormatUnsupported), a missing file (KeyFileNotFound)' {
        $pub = New-SourceKey 'for-pub' @('-t', 'ed25519')
        $pubCopy = Join-Path $src 'only.pub'
        Copy-Item "$pub.pub" $pubCopy
        if (-not $IsWindows) { chmod 600 $pubCopy }
        { Import-WorkspaceSshKey -Path $pubCopy } | Should -Throw -ErrorId 'KeyIsPublicKey,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'

        $garbage = Join-Path $src 'garbage'
        Set-Content $garbage "-----BEGIN OPENSSH PRIVATE KEY-----`nbm90IGEga2V5IGF0IGFsbA==`n-----END OPENSSH PRIVATE KEY-----"
        if (-not $IsWindows) { chmod 600 $garbage }
        { Import-WorkspaceSshKey -Path $garbage } | Should -Throw -ErrorId 'KeyFileCorrupt,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'

        $ppk = Join-Path $src 'key.ppk'
        Set-Content $ppk "PuTTY-User-Key-File-3: ssh-ed25519`nEncryption: none`nComment: x`nPublic-Lines: 2`nAAAAC3NzaC1lZDI1NTE5AAAAIBQ=`n"
        if (-not $IsWindows) { chmod 600 $ppk }
        { Import-WorkspaceSshKey -Path $ppk } | Should -Throw -ErrorId 'KeyFormatUnsupported,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'

        { Import-WorkspaceSshKey -Path (Join-Path $src 'no-such-key') } | Should -Throw -ErrorId 'KeyFileNotFound,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'
        Test-Path (Join-Path $ws 'keys/workspace_key') | Should -BeFalse
    }

    It 'says first that a public key is not a private key (KeyIsPublicKey), even when its mode is 0644 as .pub files are' -Skip:(Skip-When $OnWindows) {
        $pub = New-SourceKey 'pub-0644' @('-t', 'ed25519')
        chmod 644 "$pub.pub"
        $err = Get-ErrorRecord { Import-WorkspaceSshKey -Path "$pub.pub" -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'KeyIsPublicKey,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'
        $err.Exception.Message | Should -Match 'without the \.pub extension'
        $err.Exception.Message | Should -Not -Match 'chmod'
        Test-Path (Join-Path $ws 'keys/workspace_key') | Should -BeFalse
    }

    It 'refuses a key file that group or others can read (KeyFileUnprotected), as OpenSSH does' -Skip:(Skip-When $OnWindows) {
        $path = New-SourceKey 'open-mode' @('-t', 'ed25519')
        chmod 644 $path
        $err = $null
        try { Import-WorkspaceSshKey -Path $path -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KeyFileUnprotected,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'
        $err.Exception.Message | Should -Match 'chmod 600'
        # The real OpenSSH tools refuse the same file for the same reason.
        $sshOut = & ssh-keygen -y -f $path 2>&1
        ($sshOut -join "`n") | Should -Match 'UNPROTECTED PRIVATE KEY FILE'
    }

    It 'does not replace an existing workspace key without -Force' {
        $existing = New-WorkspaceSshKey
        $path = New-SourceKey 'second' @('-t', 'ed25519')
        { Import-WorkspaceSshKey -Path $path } | Should -Throw -ErrorId 'WorkspaceKeyExists,SecureConnect.Commands.ImportWorkspaceSshKeyCommand'
        (Get-WorkspaceSshKey).Fingerprint | Should -Be $existing.Fingerprint
        (Import-WorkspaceSshKey -Path $path -Force).Fingerprint | Should -Be (Get-SshKeygenFingerprint "$path.pub").Fingerprint
    }
}

Describe 'ConvertTo-AuthorizedKey' {
    BeforeAll {
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey -Comment 'pester@authorized'
    }
    AfterAll { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue }

    It 'renders restrict,port-forwarding and permitopen when -PermitOpen is given' {
        $key | ConvertTo-AuthorizedKey -PermitOpen 'db.internal:5432' |
            Should -BeExactly "restrict,port-forwarding,permitopen=""db.internal:5432"" $($key.PublicKey)"
    }

    It 'renders several destinations and a from= option' {
        ConvertTo-AuthorizedKey -PermitOpen 'db1:5432', '[fd00::5]:3306' -From '10.20.0.0/16', '*.corp.example' |
            Should -BeExactly "restrict,port-forwarding,permitopen=""db1:5432"",permitopen=""[fd00::5]:3306"",from=""10.20.0.0/16,*.corp.example"" $($key.PublicKey)"
    }

    It 'renders the bare key without options, and restrict alone with -Restrict' {
        ConvertTo-AuthorizedKey | Should -BeExactly $key.PublicKey
        ConvertTo-AuthorizedKey -Restrict | Should -BeExactly "restrict $($key.PublicKey)"
        ConvertTo-AuthorizedKey -PermitOpen 'db:5432' -Restrict:$false | Should -BeExactly "permitopen=""db:5432"" $($key.PublicKey)"
    }

    It 'takes a deserialized key by property name and a string by value' {
        $deserialized = $key | ConvertTo-Json | ConvertFrom-Json
        $deserialized | ConvertTo-AuthorizedKey -PermitOpen 'db:5432' | Should -BeExactly "restrict,port-forwarding,permitopen=""db:5432"" $($key.PublicKey)"
        $key.PublicKey | ConvertTo-AuthorizedKey | Should -BeExactly $key.PublicKey
    }

    It 'refuses a destination that could inject options (InvalidPermitOpen): <Value>' -TestCases @(
        @{ Value = 'db:5432",command="/bin/sh' }
        @{ Value = 'db' }
        @{ Value = 'db:99999' }
        @{ Value = 'db 5432' }
    ) {
        { ConvertTo-AuthorizedKey -PermitOpen $Value } | Should -Throw -ErrorId 'InvalidPermitOpen,SecureConnect.Commands.ConvertToAuthorizedKeyCommand'
    }

    It 'refuses a bad from pattern (InvalidFromPattern): <Value>' -TestCases @(
        @{ Value = '10.0.0.0/33' }
        @{ Value = 'a,b' }
        @{ Value = 'x"y' }
    ) {
        { ConvertTo-AuthorizedKey -From $Value } | Should -Throw -ErrorId 'InvalidFromPattern,SecureConnect.Commands.ConvertToAuthorizedKeyCommand'
    }
}

Describe 'Paths typed by the user: SECURECONNECT_HOME and -KeyPath' {
    BeforeEach {
        # A current location that is not the process's current directory, as after Set-Location in a session.
        $script:savedHome = $env:SECURECONNECT_HOME
        $script:location = Join-Path ([IO.Path]::GetTempPath()) ("sc-location-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $location | Out-Null
        Push-Location $location
        [Environment]::CurrentDirectory | Should -Not -Be $location
        $script:homeName = "sc-test-home-" + [guid]::NewGuid().ToString('N')
    }
    AfterEach {
        Pop-Location
        $env:SECURECONNECT_HOME = $savedHome
        Remove-Item -Recurse -Force $location -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force (Join-Path $HOME $homeName) -ErrorAction SilentlyContinue
        if ($script:ws) { Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue; $script:ws = $null }
    }

    It 'a relative SECURECONNECT_HOME starts at PowerShell''s current location, not the process''s directory' {
        $env:SECURECONNECT_HOME = 'relative-ws'
        $key = New-WorkspaceSshKey
        $key.PrivateKeyPath | Should -Be (Join-Path $location 'relative-ws/keys/workspace_key')
        Test-Path (Join-Path $location 'relative-ws/workspace.json') | Should -BeTrue
        Test-Path (Join-Path ([Environment]::CurrentDirectory) 'relative-ws') | Should -BeFalse
        (Get-WorkspaceSshKey).Fingerprint | Should -Be $key.Fingerprint
    }

    It 'SECURECONNECT_HOME=~/<name> is under the home folder, not in a folder named ~' {
        $env:SECURECONNECT_HOME = "~/$homeName"
        $key = New-WorkspaceSshKey
        $key.PrivateKeyPath | Should -Be (Join-Path $HOME "$homeName/keys/workspace_key")
        Test-Path -LiteralPath (Join-Path $location '~') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path ([Environment]::CurrentDirectory) '~') | Should -BeFalse
    }

    It 'Start-SshTunnel -KeyPath <KeyPath> reads the key from <Where>' -TestCases @(
        @{ KeyPath = 'keys/missing_key'; Where = 'the current location'; Base = 'location' }
        @{ KeyPath = '~/sc-no-such-key'; Where = 'the home folder'; Base = 'home' }
    ) {
        # No server is needed: a missing key stops the tunnel before any connection, naming the path it looked at.
        $script:ws = New-TestWorkspace
        $expected = if ($Base -eq 'home') { Join-Path $HOME ($KeyPath.Substring(2)) } else { Join-Path $location $KeyPath }
        $err = Get-ErrorRecord { Start-SshTunnel -Bastion 127.0.0.1 -BastionPort 9 -User u -RemoteHost db -RemotePort 5432 -KeyPath $KeyPath -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'KeyFileNotFound,SecureConnect.Commands.StartSshTunnelCommand'
        $err.TargetObject | Should -Be $expected
        $err.Exception.Message | Should -Match ([regex]::Escape($expected))
    }
}
