# Two pwsh processes and several ForEach-Object -Parallel runspaces change one workspace at once: integrations,
# known hosts, the egress list and the workspace key (rotated with New/Import-WorkspaceSshKey -Force, removed and
# created again). Every writer uses names of its own, so every change must survive; readers list the workspace all
# the while and must never fail. Bounded by counts of operations, never by time. No lab needed.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $NoSshKeygen = if (-not (Get-Command ssh-keygen -ErrorAction SilentlyContinue)) { 'ssh-keygen is not installed (build.ps1 -Task Lab installs it)' }
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    # One writer: a fixed count of steps, each a few cmdlet calls under names only this writer uses. A failed call
    # is recorded (id and message), never thrown, so one failure does not hide the others. Prints one JSON line.
    $script:WriterScript = @'
param([string] $Worker, [int] $Octet, [int] $Count, [string] $Sync, [string] $ImportKey, [string] $Module, [string] $Mode)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
$hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAIJAtLi8fYBZtSzD0NzXzqQrEBzHkImq98NiHVRoPky'
$sharedKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAq0dVIJR8Y+LXYRcWar96L3Cqcx9sgljlR5dES+HRpw'
$errors = [Collections.Generic.List[string]]::new()
$rotated = [Collections.Generic.List[string]]::new()
function Step([string] $What, [scriptblock] $Do) {
    try { & $Do } catch { $errors.Add("$What -> $($_.FullyQualifiedErrorId): $($_.Exception.Message)") }
}
# Start together with the other writers: say ready, wait for the go file (bounded against a hang).
New-Item -ItemType File -Path (Join-Path $Sync "ready-$Worker") | Out-Null
$polls = 0
while (-not (Test-Path (Join-Path $Sync 'go'))) {
    if (++$polls -gt 6000) { throw "writer $Worker never got the go file" }
    Start-Sleep -Milliseconds 20
}
for ($i = 0; $i -lt $Count; $i++) {
    if ($Mode -eq 'RemoveAndCreate') {
        # Another writer may have removed the key just before: WorkspaceKeyNotFound is then the right answer.
        try { Remove-WorkspaceSshKey -Force } catch { if ($_.FullyQualifiedErrorId -notlike 'WorkspaceKeyNotFound,*') { $errors.Add("Remove-WorkspaceSshKey -> $($_.FullyQualifiedErrorId): $($_.Exception.Message)") } }
        Step "New-WorkspaceSshKey $i" { $rotated.Add((New-WorkspaceSshKey -Force -Comment "$Worker-$i").Fingerprint) }
        continue
    }
    $name = "$Worker-db-$i"
    Step "New-SecureIntegration $name" { New-SecureIntegration -Name $name -Type PostgreSQL -HostName "db$i.$Worker.example" -Database $Worker | Out-Null }
    if ($i % 2 -eq 0) { Step "Set-SecureIntegration $name" { Set-SecureIntegration -Name $name -Port (6000 + $i) | Out-Null } }
    # Every writer also trusts the same key of one shared host: it must end up in known_hosts once.
    Step "Add-SshKnownHost shared.example" { Add-SshKnownHost -HostName 'shared.example' -PublicKey $sharedKey | Out-Null }
    $hostName = "$Worker-host-$i.example"
    Step "Add-SshKnownHost $hostName" { Add-SshKnownHost -HostName $hostName -PublicKey $hostKey | Out-Null }
    $address = "10.$Octet.0.$($i + 1)"
    Step "Add-EgressAddress $address" { Add-EgressAddress $address -Description "$Worker $i" | Out-Null }
    if ($i % 3 -eq 2) {
        Step "Remove-SecureIntegration $name" { Remove-SecureIntegration -Name $name }
        Step "Remove-SshKnownHost $hostName" { Remove-SshKnownHost -HostName $hostName }
        Step "Remove-EgressAddress $address" { Remove-EgressAddress $address }
    }
    if ($i % 4 -eq 1) {
        if ($i % 8 -eq 1) {
            Step "New-WorkspaceSshKey $i" { $rotated.Add((New-WorkspaceSshKey -Force -Comment "$Worker-$i").Fingerprint) }
        } else {
            Step "Import-WorkspaceSshKey $i" { $rotated.Add((Import-WorkspaceSshKey -Path $ImportKey -Force).Fingerprint) }
        }
    }
}
New-Item -ItemType File -Path (Join-Path $Sync "finished-$Worker") | Out-Null
[pscustomobject]@{ Worker = $Worker; Errors = @($errors); Rotated = @($rotated) } | ConvertTo-Json -Compress
'@

    # One reader: lists the workspace until the done file appears (a cap on reads bounds it against a hang).
    $script:ReaderScript = @'
param([string] $Reader, [string] $Sync, [string] $Module, [string] $Kinds)
$ErrorActionPreference = 'Stop'
Import-Module $Module
$errors = [Collections.Generic.List[string]]::new()
$reads = 0
New-Item -ItemType File -Path (Join-Path $Sync "ready-$Reader") | Out-Null
do {
    foreach ($kind in $Kinds -split ',') {
        try {
            $warnings = $null
            switch ($kind) {
                'Integration' { Get-SecureIntegration -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null }
                'Egress' { Get-EgressAllowlist -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null }
                'KnownHost' { Get-SshKnownHost -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null }
                'File' {
                    # The files as any other program reads them: workspace.json whole JSON, every known_hosts line whole.
                    $settings = Join-Path $env:SECURECONNECT_HOME 'workspace.json'
                    if (Test-Path $settings) { $null = [IO.File]::ReadAllText($settings) | ConvertFrom-Json -ErrorAction Stop }
                    $knownHosts = Join-Path $env:SECURECONNECT_HOME 'known_hosts'
                    if (Test-Path $knownHosts) {
                        foreach ($line in [IO.File]::ReadAllLines($knownHosts)) {
                            if (@($line -split ' ').Count -ne 3) { throw "a partial known_hosts line: '$line'" }
                        }
                    }
                }
                'Key' {
                    $key = Get-WorkspaceSshKey
                    if ($key.PublicKey -notmatch '^ssh-ed25519 [A-Za-z0-9+/=]+') { throw "not a whole public key: '$($key.PublicKey)'" }
                }
            }
            if ($warnings) { $errors.Add("$kind warned: $($warnings -join '; ')") }
            $reads++
        } catch {
            $errors.Add("$kind -> $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
        }
    }
} while (-not (Test-Path (Join-Path $Sync 'done')) -and $reads -lt 1000000)
[pscustomobject]@{ Worker = $Reader; Errors = @($errors); Reads = $reads } | ConvertTo-Json -Compress
'@

    function Invoke-ConcurrentRun {
        # Two child pwsh writers, runspace writers and runspace readers on one workspace; returns each one's report.
        param([string] $Workspace, [int] $Count, [string] $Mode, [string[]] $ImportKeys, [string] $ReaderKinds, [int] $Readers = 2)
        $sync = Join-Path $Workspace '.test-sync'
        New-Item -ItemType Directory -Force $sync | Out-Null
        $module = $env:SECURECONNECT_MODULE_PATH

        $children = foreach ($n in 0, 1) {
            $worker = "proc$n"
            $call = "& { $WriterScript } -Worker '$worker' -Octet $(10 + $n) -Count $Count -Sync '$sync' -ImportKey '$($ImportKeys[$n])' -Module '$module' -Mode '$Mode'"
            $process = Start-ChildPwsh -Script $call -Environment @{ SECURECONNECT_HOME = $Workspace }
            [pscustomobject]@{ Worker = $worker; Process = $process; Output = $process.StandardOutput.ReadToEndAsync(); Error = $process.StandardError.ReadToEndAsync() }
        }

        $items = @(
            foreach ($n in 0..2) { [pscustomobject]@{ Role = 'Writer'; Worker = "rs$n"; Octet = 20 + $n; ImportKey = $ImportKeys[2 + $n] } }
            foreach ($n in 1..$Readers) { [pscustomobject]@{ Role = 'Reader'; Worker = "reader$n" } }
        )
        $writerScript = $WriterScript
        $readerScript = $ReaderScript
        $job = $items | ForEach-Object -ThrottleLimit $items.Count -AsJob -Parallel {
            $item = $_
            if ($item.Role -eq 'Writer') {
                # Finished even when it fails, so the run goes on to report the failure.
                try { & ([scriptblock]::Create($using:writerScript)) -Worker $item.Worker -Octet $item.Octet -Count $using:Count -Sync $using:sync -ImportKey $item.ImportKey -Module $using:module -Mode $using:Mode }
                finally { New-Item -ItemType File -Force (Join-Path $using:sync "finished-$($item.Worker)") | Out-Null }
            } else {
                & ([scriptblock]::Create($using:readerScript)) -Reader $item.Worker -Sync $using:sync -Module $using:module -Kinds $using:ReaderKinds
            }
        }
        try {
            # Everyone loaded the module and waits: start them together.
            $expected = 2 + $items.Count
            Wait-Until { @(Get-ChildItem $sync -Filter 'ready-*').Count -ge $expected -or @($children | Where-Object { $_.Process.HasExited }).Count -gt 0 } -TimeoutSeconds 180 | Should -BeTrue -Because 'every writer and reader gets ready'
            New-Item -ItemType File (Join-Path $sync 'go') | Out-Null

            # A fixed count of operations: done when every writer says so (the bound only guards against a hang).
            Wait-Until { (@(Get-ChildItem $sync -Filter 'finished-rs*').Count -ge 3 -and @($children | Where-Object { -not $_.Process.HasExited }).Count -eq 0) -or $job.State -ne 'Running' } -TimeoutSeconds 600 |
                Should -BeTrue -Because 'every writer finishes its fixed count of operations'
        } finally {
            New-Item -ItemType File -Force (Join-Path $sync 'done') | Out-Null
            $null = Wait-Job $job -Timeout 300
            foreach ($child in $children) {
                if (-not $child.Process.WaitForExit(60000)) { $child.Process.Kill($true) }
            }
        }

        $reports = @(
            foreach ($child in $children) {
                $child.Process.ExitCode | Should -Be 0 -Because "the writer process $($child.Worker) ends normally: $($child.Error.Result)"
                $child.Output.Result -split "`n" | Where-Object { $_ -like '{*' } | ConvertFrom-Json
            }
            Receive-Job $job -ErrorAction Continue -ErrorVariable jobErrors | ForEach-Object { $_ | ConvertFrom-Json }
        )
        $jobErrors | Should -BeNullOrEmpty -Because 'no runspace failed outside its recorded steps'
        Remove-Job $job -Force
        Remove-Item -Recurse -Force $sync
        $reports
    }

    function Assert-OneMatchingKeyPair([string] $Workspace) {
        # Exactly one pair in keys/, its private half gives its public half (ssh-keygen -y), and Get-WorkspaceSshKey reads it.
        $keys = Join-Path $Workspace 'keys'
        @(Get-ChildItem $keys -File | Sort-Object Name).Name | Should -Be @('workspace_key', 'workspace_key.pub')
        $derived = & ssh-keygen -y -f (Join-Path $keys 'workspace_key')
        $LASTEXITCODE | Should -Be 0
        $stored = ((Get-Content -Raw (Join-Path $keys 'workspace_key.pub')).Trim() -split '\s+')[0..1] -join ' '
        (($derived.Trim() -split '\s+')[0..1] -join ' ') | Should -Be $stored
        $key = Get-WorkspaceSshKey -ErrorAction Stop
        (($key.PublicKey -split '\s+')[0..1] -join ' ') | Should -Be $stored
        $key
    }
}

Describe 'Two processes and several runspaces changing one workspace at once' -Skip:(Skip-When $NoSshKeygen) {
    BeforeAll {
        $script:ws = New-TestWorkspace
        $script:importDir = Join-Path ([IO.Path]::GetTempPath()) ("sc-conc-keys-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $importDir | Out-Null
        $script:importKeys = foreach ($n in 0..4) {
            $path = Join-Path $importDir "import$n"
            & ssh-keygen -q -t ed25519 -N '' -C "import$n" -f $path | Out-Null
            if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed for $path" }
            $path
        }
        $script:first = New-WorkspaceSshKey -Comment 'first'
        $script:count = 12
        $script:reports = Invoke-ConcurrentRun -Workspace $ws -Count $count -Mode 'Mixed' -ImportKeys $importKeys -ReaderKinds 'Integration,Egress,KnownHost,Key,File'
        $script:writers = @($reports | Where-Object { $_.PSObject.Properties['Rotated'] })
        $script:readers = @($reports | Where-Object { $_.PSObject.Properties['Reads'] })
    }
    AfterAll {
        Remove-Item -Recurse -Force $ws, $importDir -ErrorAction SilentlyContinue
    }

    It 'ran five writers (two processes, three runspaces) and two readers, and no cmdlet call of a writer failed' {
        @($writers.Worker | Sort-Object) | Should -Be @('proc0', 'proc1', 'rs0', 'rs1', 'rs2')
        @($readers).Count | Should -Be 2
        @($writers.Errors | Where-Object { $_ }) | Should -BeNullOrEmpty
    }

    It 'never showed a reader an error, a warning or a partial file, in any of its reads' {
        @($readers.Errors | Where-Object { $_ }) | Should -BeNullOrEmpty
        foreach ($reader in $readers) { $reader.Reads | Should -BeGreaterThan 0 }
    }

    It 'kept every integration, with its change, and none that was removed' {
        $all = @(Get-SecureIntegration)
        $expected = foreach ($w in $writers.Worker) {
            foreach ($i in 0..($count - 1)) {
                if ($i % 3 -ne 2) { [pscustomobject]@{ Name = "$w-db-$i"; Port = if ($i % 2 -eq 0) { 6000 + $i } else { 5432 } } }
            }
        }
        @($all.Name | Sort-Object) | Should -Be @($expected.Name | Sort-Object)
        foreach ($e in $expected) {
            ($all | Where-Object Name -eq $e.Name).Port | Should -Be $e.Port -Because "the Set-SecureIntegration -Port of $($e.Name) is kept"
        }
    }

    It 'kept every known host and none that was removed, the shared one once, in a known_hosts file that ssh-keygen reads whole' {
        $expected = @('shared.example') + @(foreach ($w in $writers.Worker) { foreach ($i in 0..($count - 1)) { if ($i % 3 -ne 2) { "$w-host-$i.example" } } })
        $warnings = $null
        $hosts = @(Get-SshKnownHost -WarningVariable warnings)
        $warnings | Should -BeNullOrEmpty
        @($hosts.HostName | Sort-Object) | Should -Be @($expected | Sort-Object)
        $lines = & ssh-keygen -l -f (Join-Path $ws 'known_hosts')
        $LASTEXITCODE | Should -Be 0
        @($lines).Count | Should -Be @($expected).Count
    }

    It 'kept every egress address and none that was removed' {
        $octets = @{ proc0 = 10; proc1 = 11; rs0 = 20; rs1 = 21; rs2 = 22 }
        $expected = foreach ($w in $writers.Worker) { foreach ($i in 0..($count - 1)) { if ($i % 3 -ne 2) { "10.$($octets[$w]).0.$($i + 1)/32" } } }
        @((Get-EgressAllowlist).Cidr | Sort-Object) | Should -Be @($expected | Sort-Object)
    }

    It 'left a workspace.json that parses, and no temporary file' {
        { Get-Content -Raw (Join-Path $ws 'workspace.json') | ConvertFrom-Json -ErrorAction Stop } | Should -Not -Throw
        @(Get-ChildItem -Recurse -Force $ws -Filter '*.tmp') | Should -BeNullOrEmpty
    }

    It 'ended the key rotations with exactly one valid pair, one of those stored, and every earlier pair retired' {
        $key = Assert-OneMatchingKeyPair $ws
        $rotated = @($writers.Rotated)
        $rotated.Count | Should -Be (5 * 3) -Because 'each writer rotated the key three times'
        $key.Fingerprint | Should -BeIn $rotated
        # Every rotation kept the pair it replaced (the first key included) in a folder of its own.
        @(Get-ChildItem (Join-Path $ws 'keys/retired') -Directory).Count | Should -Be $rotated.Count
        @(Get-ChildItem (Join-Path $ws 'keys/retired') -Directory | Where-Object { Test-Path (Join-Path $_.FullName 'workspace_key') }).Count | Should -Be $rotated.Count
    }
}

Describe 'Removing and creating the workspace key from two processes and runspaces at once' -Skip:(Skip-When $NoSshKeygen) {
    BeforeAll {
        $script:ws = New-TestWorkspace
        New-WorkspaceSshKey -Comment 'first' | Out-Null
        $script:reports = Invoke-ConcurrentRun -Workspace $ws -Count 6 -Mode 'RemoveAndCreate' -ImportKeys @('', '', '', '', '') -ReaderKinds 'Integration,Egress,File' -Readers 1
        $script:writers = @($reports | Where-Object { $_.PSObject.Properties['Rotated'] })
    }
    AfterAll {
        Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue
    }

    It 'created a key every time, failed only where another writer had just removed the key, and ends with one valid pair' {
        @($writers).Count | Should -Be 5
        @($writers.Errors | Where-Object { $_ }) | Should -BeNullOrEmpty
        @($writers.Rotated).Count | Should -Be (5 * 6)
        $key = Assert-OneMatchingKeyPair $ws
        $key.Fingerprint | Should -BeIn @($writers.Rotated)
        @(Get-ChildItem -Recurse -Force $ws -Filter '*.tmp') | Should -BeNullOrEmpty
    }
}

Describe 'A workspace whose lock another command holds' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        $script:key = New-WorkspaceSshKey
        Add-EgressAddress 192.0.2.1 | Out-Null
        $script:before = [IO.File]::ReadAllBytes((Join-Path $ws 'workspace.json'))
        # The lock as another command holds it: an exclusive lock on the workspace's lock file (a file lock, which
        # the module's own attempt from this process sees just as it sees another process's).
        $script:held = [IO.FileStream]::new((Join-Path $ws '.lock'), 'OpenOrCreate', 'ReadWrite', 'None')
    }
    AfterEach {
        if ($held) { $held.Dispose() }
        Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue
    }

    It 'still lets readers read: Get-EgressAllowlist, Get-SecureIntegration and Get-WorkspaceSshKey take no lock' {
        (Get-EgressAllowlist -ErrorAction Stop).Cidr | Should -Be '192.0.2.1/32'
        @(Get-SecureIntegration -ErrorAction Stop) | Should -BeNullOrEmpty
        (Get-WorkspaceSshKey -ErrorAction Stop).Fingerprint | Should -Be $key.Fingerprint
    }

    It 'fails a change with WorkspaceLocked after its bounded wait, naming the workspace, and changes nothing' {
        $err = Get-ErrorRecord { Add-EgressAddress 192.0.2.2 -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceLocked,SecureConnect.Commands.AddEgressAddressCommand'
        $err.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err.Exception.Message | Should -Match ([regex]::Escape($ws))
        [IO.File]::ReadAllBytes((Join-Path $ws 'workspace.json')) | Should -Be $before
    }

    It 'lets the change through once the lock is released' {
        $held.Dispose()
        $script:held = $null
        (Add-EgressAddress 192.0.2.2 -ErrorAction Stop).Cidr | Should -Be '192.0.2.2/32'
        @((Get-EgressAllowlist).Cidr | Sort-Object) | Should -Be @('192.0.2.1/32', '192.0.2.2/32')
    }
}
