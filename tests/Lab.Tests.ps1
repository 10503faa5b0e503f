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
