# Test-SecureConnection as an audit: a report for every integration, also a broken one (Connected = $false, the
# error id a query fails with, the reason and the fix), its warnings also on the warning stream; the passphrase path
# for an encrypted workspace key (Unlock-WorkspaceSshKey); and hints that name only parameters the command has.
# Against the lab's REAL OpenSSH bastion, PostgreSQL and MariaDB.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoBroken = if ($NoLab) { $NoLab }
    elseif (-not $lab.postgresPlain.available) { "the lab has no plaintext PostgreSQL: $($lab.postgresPlain.reason)" }
    elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" }
    elseif (-not $lab.bastion2.available) { "the lab has no second bastion: $($lab.bastion2.reason)" }
    else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:TestId = 'SecureConnect.Commands.TestSecureConnectionCommand'
    $script:QueryId = 'SecureConnect.Commands.InvokeSecureQueryCommand'

    function New-PgIntegration([string] $Name, [hashtable] $Extra = @{}) {
        # PostgreSQL through the lab bastion, VerifyFull with the lab CA, unless $Extra says otherwise.
        $db = $lab.postgresTls
        $params = @{
            Name = $Name; Type = 'PostgreSQL'; HostName = $db.hostName; Port = [int]$db.port; Database = $db.database
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $db
        }
        foreach ($k in $Extra.Keys) { if ($null -eq $Extra[$k]) { $params.Remove($k) } else { $params[$k] = $Extra[$k] } }
        New-SecureIntegration @params @ssh -ErrorAction Stop | Out-Null
    }

    function Get-HintProblems([string] $Message, [string] $RaisedBy) {
        # Every -Parameter a message names must exist on the command it goes with: the last command named before it in
        # the same sentence, else the command that raised the error. Returns the ones that do not ("-X on Cmd").
        foreach ($sentence in ($Message -split '(?<=[.;])\s+')) {
            $current = $RaisedBy
            foreach ($m in [regex]::Matches($sentence, '(?<![\w-])(?:(?<cmd>[A-Z][a-z]+-[A-Z][A-Za-z]+)|-(?<param>[A-Z][A-Za-z]+))')) {
                if ($m.Groups['cmd'].Success) {
                    if (Get-Command $m.Groups['cmd'].Value -ErrorAction SilentlyContinue) { $current = $m.Groups['cmd'].Value }
                    continue
                }
                $name = $m.Groups['param'].Value
                $parameters = (Get-Command $current).Parameters
                $known = $parameters.ContainsKey($name) -or @($parameters.Values | Where-Object { $_.Aliases -contains $name }).Count -gt 0
                if (-not $known) { "-$name on $current" }
            }
        }
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'The hint checker of this file' {
    It 'finds a parameter the raising command does not have, and accepts one that the named command has' {
        Get-HintProblems -Message "The key is encrypted. Pass it with -KeyPassphrase." -RaisedBy 'Invoke-SecureQuery' | Should -Be '-KeyPassphrase on Invoke-SecureQuery'
        Get-HintProblems -Message "The key is encrypted. Start-SshTunnel takes -KeyPassphrase; Check the password (-Credential)." -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty
    }
}

Describe 'Test-SecureConnection audits a whole workspace' -Tag Lab {
    BeforeAll {
        if (-not $lab) { return }
        Initialize-LabWorkspace
        $db = $lab.postgresTls
        New-PgIntegration 'good'
        New-PgIntegration 'wrong-password' @{ Credential = New-LabCredential $db 'not-the-password' }
        New-PgIntegration 'no-tls' @{ HostName = $lab.postgresPlain.hostName; Port = [int]$lab.postgresPlain.port; SslMode = 'Required'; CaCertificatePath = $null }
        # Nobody listens on port 9 of the database host: the bastion cannot connect there.
        New-PgIntegration 'down' @{ Port = 9 }
        $maria = $lab.mariadb
        New-SecureIntegration -Name 'maria-nopw' -Type MariaDB -HostName $maria.hostName -Port ([int]$maria.port) -Database $maria.database -Credential ([pscredential]::new($maria.user, [securestring]::new())) -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath @ssh -ErrorAction Stop | Out-Null
        # The second bastion's host key is not trusted in this workspace. It is reached through the first bastion as a
        # jump host, as the namespace lab allows only that (the loopback lab allows both).
        $b2 = $lab.bastion2
        $jump = "$($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port)"
        New-SecureIntegration -Name 'untrusted-bastion' -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) -SshBastion "$($b2.hostName):$($b2.port)" -SshUser $b2.user -SshJumpHost $jump -ErrorAction Stop | Out-Null
        $script:Broken = @{
            'wrong-password'    = 'DatabaseAuthenticationFailed'
            'no-tls'            = 'SslNotAvailable'
            'maria-nopw'        = 'DatabaseAuthenticationFailed'
            'untrusted-bastion' = 'HostKeyUnknown'
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'returns a report for every integration, broken ones with Connected = $false, ErrorId, Reason and Fix, and writes no error' -Skip:(Skip-When $NoBroken) {
        $reports = @(Get-SecureIntegration | Test-SecureConnection -ErrorVariable failed -WarningAction SilentlyContinue)
        $failed | Should -BeNullOrEmpty
        @($reports.Integration | Sort-Object) | Should -Be @('down', 'good', 'maria-nopw', 'no-tls', 'untrusted-bastion', 'wrong-password')

        $good = $reports | Where-Object Integration -eq 'good'
        $good.Connected | Should -BeTrue
        $good.ErrorId | Should -BeNullOrEmpty
        $good.Encrypted | Should -BeTrue

        $broken = @($reports | Where-Object { -not $_.Connected })
        $broken.Count | Should -Be 5
        foreach ($name in $Broken.Keys) {
            $r = $reports | Where-Object Integration -eq $name
            $r.ErrorId | Should -Be $Broken[$name] -Because $name
        }
        foreach ($r in $broken) {
            $r.Reason | Should -Not -BeNullOrEmpty -Because $r.Integration
            $r.Fix | Should -Not -BeNullOrEmpty -Because $r.Integration
            $r.Encrypted | Should -BeFalse
        }
        ($reports | Where-Object Integration -eq 'untrusted-bastion').Reason | Should -Match 'Get-SshServerKey .*-JumpHost'
        ($reports | Where-Object Integration -eq 'maria-nopw').Reason | Should -Match 'No password was sent'
    }

    It 'reports the same error id a query of the integration fails with' -Skip:(Skip-When $NoBroken) {
        foreach ($name in @($Broken.Keys) + 'down') {
            $report = Test-SecureConnection $name -ErrorAction Stop -WarningAction SilentlyContinue
            $err = Get-ErrorRecord { Invoke-SecureQuery $name 'select 1' -ErrorAction Stop }
            $err.FullyQualifiedErrorId | Should -Be "$($report.ErrorId),$QueryId" -Because $name
            $report.Reason | Should -Be $err.Exception.Message -Because $name
        }
    }

    It 'names in its reasons and fixes only parameters the named commands have' -Skip:(Skip-When $NoBroken) {
        foreach ($r in @(Get-SecureIntegration | Test-SecureConnection -WarningAction SilentlyContinue | Where-Object { -not $_.Connected })) {
            Get-HintProblems -Message $r.Reason -RaisedBy 'Test-SecureConnection' | Should -BeNullOrEmpty -Because "the reason of $($r.Integration): $($r.Reason)"
            Get-HintProblems -Message $r.Fix -RaisedBy 'Test-SecureConnection' | Should -BeNullOrEmpty -Because "the fix of $($r.Integration): $($r.Fix)"
        }
        foreach ($name in $Broken.Keys) {
            $err = Get-ErrorRecord { Invoke-SecureQuery $name 'select 1' -ErrorAction Stop }
            Get-HintProblems -Message $err.Exception.Message -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty -Because $err.Exception.Message
        }
    }

    It 'keeps an error for a name that is no integration, and goes on with the next' -Skip:(Skip-When $NoLab) {
        $reports = @([pscustomobject]@{ Name = 'no-such-integration' }, [pscustomobject]@{ Name = 'good' } |
                Test-SecureConnection -ErrorVariable failed -ErrorAction SilentlyContinue)
        $reports.Count | Should -Be 1
        $reports[0].Integration | Should -Be 'good'
        $reports[0].Connected | Should -BeTrue
        @($failed).Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be "IntegrationNotFound,$TestId"
    }

    It 'writes each warning of a report as a warning too, and keeps it on the report' -Skip:(Skip-When $NoLab) {
        New-PgIntegration 'not-validated' @{ SslMode = 'Required'; CaCertificatePath = $null }
        $report = Test-SecureConnection 'not-validated' -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue
        $report.Connected | Should -BeTrue
        $report.Warnings -join ' ' | Should -Match 'not validated'
        @($warned).Count | Should -Be @($report.Warnings).Count
        "$($warned[0])" | Should -Match '^not-validated: The certificate was not validated'
        # A clean session draws no warning.
        Test-SecureConnection 'good' -ErrorAction Stop -WarningVariable quiet | Out-Null
        @($quiet).Count | Should -Be 0
    }
}

Describe 'An encrypted workspace key in integration queries (Unlock-WorkspaceSshKey)' -Tag Lab {
    BeforeAll {
        if (-not $lab) { return }
        $script:ws = New-TestWorkspace
        $script:pass = ConvertTo-SecureText 'tunnel passphrase 42'
        $key = New-WorkspaceSshKey -Passphrase $pass
        Set-Content -Path $lab.bastion.authorizedKeysPath -Value ($key | ConvertTo-AuthorizedKey)
        Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost | Out-Null
        $script:ssh = @{ SshBastion = "$($lab.bastion.host):$($lab.bastion.port)"; SshUser = $lab.bastion.user }
        Get-SshTunnel | Stop-SshTunnel
        New-PgIntegration 'locked'
    }
    AfterAll { Lock-WorkspaceSshKey; Remove-LabWorkspace }

    It 'fails with KeyPassphraseRequired that names Unlock-WorkspaceSshKey, not a -KeyPassphrase the query has not' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery locked 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "KeyPassphraseRequired,$QueryId"
        $err.Exception.Message | Should -Match 'Unlock-WorkspaceSshKey -Passphrase'
        Get-HintProblems -Message $err.Exception.Message -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty

        $report = Test-SecureConnection locked -ErrorAction Stop
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'KeyPassphraseRequired'
        $report.Fix | Should -Match 'Unlock-WorkspaceSshKey'
        Get-HintProblems -Message $report.Reason -RaisedBy 'Test-SecureConnection' | Should -BeNullOrEmpty
    }

    It 'queries through the bastion once the key is unlocked for the session, and not after Lock-WorkspaceSshKey' -Skip:(Skip-When $NoLab) {
        Unlock-WorkspaceSshKey -Passphrase $pass | Out-Null
        Invoke-SecureQuery locked 'select 41 + 1 as answer' -As Scalar -ErrorAction Stop | Should -Be 42
        (Test-SecureConnection locked -ErrorAction Stop -WarningAction SilentlyContinue).Connected | Should -BeTrue

        Lock-WorkspaceSshKey
        Get-SshTunnel | Stop-SshTunnel
        { Invoke-SecureQuery locked 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "KeyPassphraseRequired,$QueryId"
    }
}

Describe 'Driver errors that say what happened' -Tag Lab {
    BeforeAll {
        if (-not $lab) { return }
        Initialize-LabWorkspace
        New-PgIntegration 'pg'
        if ($lab.mariadb.available) {
            $m = $lab.mariadb
            $maria = @{ Type = 'MariaDB'; HostName = $m.hostName; Port = [int]$m.port; Database = $m.database; SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath }
            New-SecureIntegration -Name 'maria' @maria -Credential (New-LabCredential $m) @ssh -ErrorAction Stop | Out-Null
            New-SecureIntegration -Name 'maria-empty' @maria -Credential ([pscredential]::new($m.user, [securestring]::new())) @ssh -ErrorAction Stop | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'a query that outlives -CommandTimeout is QueryTimeout on <Integration>, and the next query works' -Skip:(Skip-When $NoBroken) -TestCases @(
        @{ Integration = 'pg'; Sleep = 'select pg_sleep(20)' }
        @{ Integration = 'maria'; Sleep = 'select sleep(20)' }
    ) {
        $err = Get-ErrorRecord { Invoke-SecureQuery $Integration $Sleep -CommandTimeout 1 -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "QueryTimeout,$QueryId"
        "$($err.CategoryInfo.Category)" | Should -Be 'OperationTimeout'
        $err.Exception.Message | Should -Match 'command timeout of 1 s'
        Get-HintProblems -Message $err.Exception.Message -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty
        Invoke-SecureQuery $Integration 'select 7 as n' -As Scalar -ErrorAction Stop | Should -Be 7
    }

    It 'QueryTimeout stops the pipeline on <Integration>, as QueryInterrupted does: the next piped query does not run' -Skip:(Skip-When $NoBroken) -TestCases @(
        @{ Integration = 'pg'; Sleep = 'select pg_sleep(20)' }
        @{ Integration = 'maria'; Sleep = 'select sleep(20)' }
    ) {
        $rows = [System.Collections.Generic.List[object]]::new()
        $caught = $null
        try { $Sleep, 'select 8 as n' | Invoke-SecureQuery $Integration -CommandTimeout 1 -ErrorAction SilentlyContinue | ForEach-Object { $rows.Add($_) } }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be "QueryTimeout,$QueryId"
        @($rows | Where-Object { $_.PSObject.Properties.Name -contains 'n' }).Count | Should -Be 0
    }

    It 'MariaDB "using password: NO" says that no password was sent; a wrong password does not' -Skip:(Skip-When $NoBroken) {
        $err = Get-ErrorRecord { Invoke-SecureQuery 'maria-empty' 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryId"
        $err.Exception.Message | Should -Match 'using password: NO'
        $err.Exception.Message | Should -Match 'No password was sent'
        Get-HintProblems -Message $err.Exception.Message -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty

        $wrong = Get-ErrorRecord { Invoke-SecureQuery 'maria' 'select 1' -Credential (New-LabCredential $lab.mariadb 'wrong-password') -ErrorAction Stop }
        $wrong.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryId"
        $wrong.Exception.Message | Should -Match 'using password: YES'
        $wrong.Exception.Message | Should -Not -Match 'No password was sent'
    }
}

Describe 'A bastion that accepts TCP but never speaks SSH' -Tag Lab {
    BeforeAll {
        $script:ws = New-TestWorkspace
        New-WorkspaceSshKey | Out-Null
        # The kernel completes the TCP handshake for the backlog; nothing ever answers the SSH banner.
        $script:silent = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $silent.Start()
        New-SecureIntegration -Name 'silent-bastion' -Type PostgreSQL -HostName 'db.internal' -SslMode VerifyFull -SshBastion "127.0.0.1:$($silent.LocalEndpoint.Port)" -SshUser 'ops' -ErrorAction Stop | Out-Null
    }
    AfterAll {
        $silent.Stop()
        Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue
    }

    It 'times out with BastionUnreachable whose hint names only parameters that exist where it names them' {
        $err = Get-ErrorRecord { Invoke-SecureQuery 'silent-bastion' 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "BastionUnreachable,$QueryId"
        Get-HintProblems -Message $err.Exception.Message -RaisedBy 'Invoke-SecureQuery' | Should -BeNullOrEmpty

        $report = Test-SecureConnection 'silent-bastion' -ErrorAction Stop
        $report.Connected | Should -BeFalse
        $report.ErrorId | Should -Be 'BastionUnreachable'
        Get-HintProblems -Message $report.Reason -RaisedBy 'Test-SecureConnection' | Should -BeNullOrEmpty
    }
}
