# The workspace key against the lab's REAL OpenSSH sshd: the ConvertTo-AuthorizedKey line is accepted, and
# its permitopen restriction is enforced by sshd itself.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not (Get-Command ssh -ErrorAction SilentlyContinue)) { 'the ssh client is not installed' }
    else { $null }
    $NoPsql = if ($NoLab) { $NoLab } elseif (-not (Get-Command psql -ErrorAction SilentlyContinue)) { 'psql is not installed' } elseif (-not $lab.postgresTls.available) { 'the lab has no PostgreSQL' } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints


    function Get-SshArgs([string] $KeyPath) {
        @('-F', '/dev/null', '-i', $KeyPath, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no',
            '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', '-p', [string]$lab.bastion.port)
    }

}

Describe 'The lab bastion and the workspace key' -Tag Lab {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach {
        if ($lab) { Set-AuthorizedKeys @() }
        Remove-Item -Recurse -Force $script:ws -ErrorAction SilentlyContinue
    }

    It 'refuses a <Algorithm> key that is not in authorized_keys, and accepts it once the line is installed' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Algorithm = 'Ed25519' }, @{ Algorithm = 'Rsa' }, @{ Algorithm = 'Ecdsa' }
    ) {
        $key = New-WorkspaceSshKey -Algorithm $Algorithm
        $target = "$($lab.bastion.user)@$($lab.bastion.host)"

        Set-AuthorizedKeys @()
        & ssh @(Get-SshArgs $key.PrivateKeyPath) $target true 2>$null
        $LASTEXITCODE | Should -Be 255 -Because 'sshd must refuse a key it does not know'

        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey -Restrict)
        $out = & ssh @(Get-SshArgs $key.PrivateKeyPath) $target 'echo authenticated' 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $out | Should -Contain 'authenticated'
    }

    It 'enforces permitopen: the allowed database forward works, another destination is refused' -Skip:(Skip-When $NoPsql) {
        $key = New-WorkspaceSshKey
        $db = $lab.postgresTls
        $allowed = "$($db.hostName):$($db.port)"
        Set-AuthorizedKeys @($key | ConvertTo-AuthorizedKey -PermitOpen $allowed)
        (Get-Content $lab.bastion.authorizedKeysPath) | Should -Match '^restrict,port-forwarding,permitopen="'
        $target = "$($lab.bastion.user)@$($lab.bastion.host)"

        # Allowed: a real client (psql) reaches the database through the forward.
        $localPort = Get-FreePort
        $sshProcess = Start-Process -FilePath (Get-Command ssh).Source -PassThru -NoNewWindow -RedirectStandardError (Join-Path $ws 'ssh.err') -ArgumentList (
            @(Get-SshArgs $key.PrivateKeyPath) + @('-N', '-o', 'ExitOnForwardFailure=yes', '-L', "127.0.0.1:$($localPort):$allowed", $target))
        try {
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            $listening = $false
            while (-not $listening -and [DateTime]::UtcNow -lt $deadline -and -not $sshProcess.HasExited) {
                $client = [System.Net.Sockets.TcpClient]::new()
                try { $client.Connect('127.0.0.1', $localPort); $listening = $true } catch { Start-Sleep -Milliseconds 200 } finally { $client.Dispose() }
            }
            $listening | Should -BeTrue -Because (Get-Content -Raw (Join-Path $ws 'ssh.err') -ErrorAction SilentlyContinue)

            $env:PGPASSWORD = $db.password
            $rows = & psql "host=127.0.0.1 port=$localPort dbname=$($db.database) user=$($db.user) sslmode=require connect_timeout=10" -XAtc 'select count(*) from people' 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($rows -join "`n")
            [int]($rows | Select-Object -Last 1) | Should -BeGreaterThan 0
        }
        finally {
            Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue
            if (-not $sshProcess.HasExited) { $sshProcess.Kill() }
            $sshProcess.WaitForExit(10000) | Out-Null
        }

        # Refused: any other destination, even on the same host, and sshd itself says why.
        $other = "$($db.hostName):$($lab.mariadb.port)"
        $logBefore = @(Get-Content $lab.bastion.logPath).Count
        $refused = @() | & ssh @(Get-SshArgs $key.PrivateKeyPath) -o LogLevel=INFO -W $other $target 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        ($refused -join "`n") | Should -Match 'administratively prohibited|open failed|forwarding failed'
        $newLog = @(Get-Content $lab.bastion.logPath | Select-Object -Skip $logBefore) -join "`n"
        $newLog | Should -Match "connect to host $([regex]::Escape($db.hostName)) port $($lab.mariadb.port), but the request was denied"
    }
}
