# The lab itself: what every other suite relies on. Its certificates name the databases and never the tunnels' local
# end, it says what is missing before it starts anything, and the faults it injects are undone before it returns.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' } else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab can cut the link" } else { $null }
    $NoRoot = if ((id -u) -ne '0') { 'not root: cannot run the lab script as another user' } else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    # Runs a client where the bastion stands (its network namespace, or the host in loopback mode), feeding it $Text.
    function Invoke-InDbNetwork([string] $Text, [string] $Program) {
        $command = @($Program) + $args
        if ($lab.bastionNamespace) { $command = @('ip', 'netns', 'exec', $lab.bastionNamespace) + $command }
        $Text | & $command[0] @($command | Select-Object -Skip 1) 2>$null
    }
}

Describe 'The lab' -Tag Lab {
    It 'has a server certificate that names the database host and never 127.0.0.1 or localhost' -Skip:(Skip-When $NoLab) {
        $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $lab.ca.serverCertPath))
        $san = ($cert.Extensions | Where-Object { $_.Oid.Value -eq '2.5.29.17' }).Format($false)
        $san | Should -Match ([regex]::Escape($lab.postgresTls.hostName))
        $san | Should -Not -Match '127\.0\.0\.1'
        $san | Should -Not -Match 'localhost'
        $cert.MatchesHostname('127.0.0.1') | Should -BeFalse
        $cert.MatchesHostname('localhost') | Should -BeFalse
        $cert.MatchesHostname($lab.postgresTls.hostName) | Should -BeTrue
    }

    It 'serves ClickHouse 18.16 over HTTPS with the lab certificate and its name, to sc_app only' -Skip:(Skip-When $NoLab) {
        $ch = $lab.clickhouse
        $ch.available | Should -BeTrue -Because $ch.reason
        $ch.version | Should -Match '^18\.16\.'
        $request = "GET /?query=SELECT%20'lab-ok' HTTP/1.0`r`nHost: $($ch.hostName)`r`nX-ClickHouse-User: $($ch.user)`r`nX-ClickHouse-Key: $($ch.password)`r`n`r`n"
        $reply = Invoke-InDbNetwork $request openssl s_client -quiet -verify_return_error -CAfile $lab.ca.labCaPath -servername $ch.hostName -connect "$($ch.host):$($ch.httpsPort)"
        ($reply -join "`n") | Should -Match '(?m)^lab-ok$'
        $wrong = $request -replace [regex]::Escape($ch.password), 'not-the-password'
        (Invoke-InDbNetwork $wrong openssl s_client -quiet -CAfile $lab.ca.labCaPath -connect "$($ch.host):$($ch.httpsPort)") -join "`n" | Should -Match 'HTTP/1.[01] 401'
    }

    It 'serves a small HTTP service beside the databases' -Skip:(Skip-When $NoLab) {
        $lab.http.available | Should -BeTrue -Because $lab.http.reason
        $reply = Invoke-InDbNetwork "GET /probe HTTP/1.0`r`nHost: $($lab.http.hostName)`r`n`r`n" nc -w 5 $lab.http.host $lab.http.port
        $json = ($reply -join "`n") -split "`r?`n`r?`n", 2 | Select-Object -Last 1 | ConvertFrom-Json
        $json.service | Should -Be 'secureconnect-lab-http'
        $json.path | Should -Be '/probe'
    }

    It 'keeps ClickHouse and the HTTP service out of the host''s reach: only the bastion gets there' -Skip:(Skip-When $NoNetns) {
        foreach ($port in $lab.clickhouse.httpPort, $lab.clickhouse.httpsPort, $lab.http.port) {
            $client = [System.Net.Sockets.TcpClient]::new()
            try {
                $reached = try { $client.ConnectAsync($lab.clickhouse.host, [int]$port).Wait(2000) } catch { $false }
                $reached | Should -BeFalse -Because "port $port of the database network must not be reachable from the host"
            }
            finally { $client.Dispose() }
        }
    }

    It 'finds every program it uses (lab.sh check), PostgreSQL whatever its version' {
        $r = Invoke-LabScript 'check'
        $r.ExitCode | Should -Be 0 -Because $r.Error
        $r.Error | Should -Match 'PostgreSQL in /usr/lib/postgresql/\d+/bin'
    }

    It 'names what is missing and the exact command that installs it' {
        $r = Invoke-LabScript 'check' -Environment @{ SECURECONNECT_LAB_PG_BIN = '/nonexistent/bin' }
        $r.ExitCode | Should -Be 1
        $r.Error | Should -Match 'missing programs: postgres initdb'
        $r.Error | Should -Match 'apt-get update && .*apt-get install -y --no-install-recommends postgresql'
    }

    It 'stops before starting anything when it is not root and a program is missing, with the sudo command' -Skip:(Skip-When $NoRoot) {
        $state = Join-Path ([IO.Path]::GetTempPath()) ("sc-lab-nobody-" + [guid]::NewGuid().ToString('N'))
        $r = Invoke-LabScript 'start' -AsUser nobody -Environment @{ SECURECONNECT_LAB_PG_BIN = '/nonexistent/bin'; SECURECONNECT_LAB_DIR = $state }
        $r.ExitCode | Should -Be 1
        $r.Error | Should -Match 'not installed: postgres initdb'
        $r.Error | Should -Match '\(not root\)'
        $r.Error | Should -Match 'sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql'
        Test-Path $state | Should -BeFalse -Because 'nothing may be started or created'
    }

    It 'link up returns only once the host reaches the bastion''s sshd again, every time' -Skip:(Skip-When $NoNetns) {
        foreach ($round in 1..3) {
            (Invoke-LabScript 'link', 'down').ExitCode | Should -Be 0
            # A connect while the link is down, as the link-cut tests make: the host's neighbour entry for the
            # bastion fails, and until it is forgotten later connects get "No route to host".
            $client = [System.Net.Sockets.TcpClient]::new()
            try { $client.ConnectAsync($lab.bastion.host, [int]$lab.bastion.port).Wait(5000) | Out-Null } catch { } finally { $client.Dispose() }
            $up = Invoke-LabScript 'link', 'up'
            $up.ExitCode | Should -Be 0 -Because $up.Error
            # Immediately, with no retry: a real SSH exchange with the bastion.
            $keys = @(Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 5 -ErrorAction Stop)
            $keys.Fingerprint | Should -Contain $lab.bastion.hostKeyFingerprint -Because "round $round"
        }
    }

    It 'restore-bastion-hostkey puts back the key the lab started with, after several rotations' -Skip:(Skip-When $NoLab) {
        $original = $lab.bastion.hostKeyFingerprint
        try {
            foreach ($i in 1..2) { (Invoke-LabScript 'rotate-bastion-hostkey').ExitCode | Should -Be 0 }
            (Get-LabEndpoints).bastion.hostKeyFingerprint | Should -Not -Be $original
        }
        finally {
            $restore = Invoke-LabScript 'restore-bastion-hostkey'
        }
        $restore.ExitCode | Should -Be 0 -Because $restore.Error
        (Get-LabEndpoints).bastion.hostKeyFingerprint | Should -Be $original
        @(Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port -ConnectTimeout 5 -ErrorAction Stop).Fingerprint | Should -Contain $original
    }
}
