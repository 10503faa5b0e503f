# Export-SecureQuery under faults, against the lab's REAL PostgreSQL through its OpenSSH bastion: the bastion's sshd
# killed while the rows stream into the file, and a full disk (a small tmpfs as the target folder). Each time: a clear
# error id, no file at the target path and no temporary file beside it, an existing target byte for byte as it was, and
# the workspace unchanged.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoTmpfs = if ($NoLab) { $NoLab }
    elseif (-not $IsLinux) { 'a full disk is made with a Linux tmpfs' }
    elseif ((& id -u) -ne '0') { 'mounting a tmpfs (the full disk) needs root' }
    else { $null }
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:ExportError = 'SecureConnect.Commands.ExportSecureQueryCommand'

    function Get-FolderFiles([string] $Path) {
        # Every file in a folder, hidden ones (the temporary .partial files) included.
        @(Get-ChildItem -LiteralPath $Path -Force -File | ForEach-Object Name | Sort-Object)
    }

    function Get-TreeHash([string] $Path) {
        # Every file under a folder with its SHA-256, as one text: equal text, equal tree.
        @(Get-ChildItem -LiteralPath $Path -Recurse -Force -File | Sort-Object FullName | ForEach-Object {
                "$([IO.Path]::GetRelativePath($Path, $_.FullName)) $((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)"
            }) -join "`n"
    }

    function Get-Hex([string] $Path) { [Convert]::ToHexString([IO.File]::ReadAllBytes($Path)) }

    function Start-ExportRunspace([string] $Query, [string] $Path, [switch] $Force) {
        # Export-SecureQuery in a runspace of its own, so the test can act on the lab while it writes.
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
                param($Module, $Query, $Path, $Force)
                $ProgressPreference = 'SilentlyContinue'
                Import-Module $Module
                Export-SecureQuery pg $Query -Path $Path -Force:$Force -CommandTimeout 600 -ErrorAction Stop
            }).AddArgument($env:SECURECONNECT_MODULE_PATH).AddArgument($Query).AddArgument($Path).AddArgument([bool]$Force)
        [pscustomobject]@{ Shell = $shell; Async = $shell.BeginInvoke() }
    }

    function Get-PartialLength([string] $Folder) {
        # The size of the temporary file the export writes (0 while there is none).
        $partial = @(Get-ChildItem -LiteralPath $Folder -Force -File -Filter '*.partial')
        if ($partial.Count -eq 1) { $partial[0].Length } else { 0 }
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally {
        if ($lab) {
            Set-Content -Path $lab.bastion.authorizedKeysPath -Value @()
            # Whatever failed, the lab is left with every server up.
            Invoke-Lab 'heal'
        }
    }
}

Describe 'Export-SecureQuery when the bastion''s sshd is killed mid-export' -Tag Lab, Faults {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $db = $lab.postgresTls
            New-SecureIntegration -Name pg -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
                -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh -ErrorAction Stop | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }
    BeforeEach {
        $script:dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'fails with QueryInterrupted, leaves no file and no temporary file, and the workspace as it was (<Case>)' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Case = 'a new file'; Existing = $false }
        @{ Case = '-Force over an existing file'; Existing = $true }
    ) {
        $path = Join-Path $dir 'big.csv'
        if ($Existing) { Export-SecureQuery pg 'select 1 as n, ''old'' as h' -Path $path -ErrorAction Stop | Out-Null }
        $before = if ($Existing) { Get-Hex $path }
        # The tunnel is up before the workspace is hashed: starting it is not what this test looks at.
        Invoke-SecureQuery pg 'select 1' -As Scalar -ErrorAction Stop | Should -Be 1
        $workspace = Get-TreeHash $ws
        # A result with no end: only the fault ends it (a finished export would mean the fault did not reach it).
        $run = Start-ExportRunspace -Query 'select n, md5(n::text) as h from (select generate_series(1, 2000000000) as n) s' -Path $path -Force:$Existing
        try {
            Wait-Until { (Get-PartialLength $dir) -gt 1MB } 120 | Should -BeTrue -Because 'the export writes its temporary file'
            Invoke-Lab 'restart-sshd', 'bastion'
            # A hang detector, not a speed limit: a dropped tunnel must end the query.
            Wait-Until { $run.Async.IsCompleted } 120 | Should -BeTrue -Because 'the export ends when its connection drops'
            # The runspace records the terminating error in its error stream; a result would be its output.
            $output = $run.Shell.EndInvoke($run.Async)
            $failure = @($run.Shell.Streams.Error)[0]
        }
        finally {
            if (-not $run.Async.IsCompleted) { $run.Shell.Stop() }
            $run.Shell.Dispose()
        }

        $output | Should -BeNullOrEmpty -Because 'an export cut off mid-way is no result'
        $failure | Should -Not -BeNullOrEmpty -Because 'an export cut off mid-way is an error'
        $failure.FullyQualifiedErrorId | Should -Be "QueryInterrupted,$ExportError"
        $failure.Exception.Message | Should -Match "'pg'.*incomplete"
        $failure.Exception.Message | Should -Match ([regex]::Escape("nothing of it was kept: '$path' is as it was before the export."))
        $failure.Exception.Message | Should -Not -Match 'discard what was written' -Because 'the export kept nothing to discard'
        if ($Existing) {
            Get-FolderFiles $dir | Should -Be @('big.csv')
            Get-Hex $path | Should -BeExactly $before
        }
        else {
            Get-FolderFiles $dir | Should -BeNullOrEmpty
        }
        Get-TreeHash $ws | Should -BeExactly $workspace
        # The tunnel came back: the next export writes its whole result.
        (Export-SecureQuery pg 'select g as n from generate_series(1, 1000) g' -Path (Join-Path $dir 'after.csv') -ErrorAction Stop).Rows | Should -Be 1000
    }
}

Describe 'Export-SecureQuery to a full disk' -Tag Lab, Faults {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $db = $lab.postgresTls
            New-SecureIntegration -Name pg -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
                -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh -ErrorAction Stop | Out-Null
        }
        $script:mounts = [Collections.Generic.List[string]]::new()
        function New-FullDisk {
            # A folder on a tmpfs of 256 KiB of its own: a disk that fills up.
            $mount = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $mount | Out-Null
            $r = Invoke-Native mount @('-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', $mount)
            if ($r.ExitCode -ne 0) { throw "mount tmpfs on $mount failed: $($r.Error)" }
            $mounts.Add($mount)
            $mount
        }
        # ~110 bytes a row as CSV: 1,500 rows (~165 KB) fit the disk once, not twice; 5,000 rows (~550 KB) never.
        $script:RowsQuery = 'select g as n, repeat(''x'', 100) as pad from generate_series(1, {0}) g'
    }
    AfterAll {
        try {
            foreach ($m in $mounts) {
                $r = Invoke-Native umount @($m)
                if ($r.ExitCode -ne 0) { Write-Warning "umount $m failed: $($r.Error)" }
            }
        }
        finally { Remove-LabWorkspace }
    }

    It 'fails with ExportFailed and leaves no file and no temporary file (a new file)' -Skip:(Skip-When $NoTmpfs) {
        $disk = New-FullDisk
        $path = Join-Path $disk 'rows.csv'
        $workspace = Get-TreeHash $ws

        $err = Get-ErrorRecord { Export-SecureQuery pg ($RowsQuery -f 5000) -Path $path -ErrorAction Stop }

        $err.FullyQualifiedErrorId | Should -Be "ExportFailed,$ExportError"
        $err.Exception.Message | Should -Match 'No space left on device|Free space'
        $err.CategoryInfo.Category | Should -Be 'WriteError'
        Get-FolderFiles $disk | Should -BeNullOrEmpty
        Get-TreeHash $ws | Should -BeExactly $workspace
    }

    It 'fails with ExportFailed when the disk fills only as the last rows are flushed, and leaves nothing behind' -Skip:(Skip-When $NoTmpfs) {
        # The disk has room for the first buffers but not for the rest: the failure comes when the file is completed.
        $disk = New-FullDisk
        $filler = Join-Path $disk 'filler.bin'
        [IO.File]::WriteAllBytes($filler, [byte[]]::new(240KB))
        $path = Join-Path $disk 'rows.csv'

        $err = Get-ErrorRecord { Export-SecureQuery pg ($RowsQuery -f 200) -Path $path -ErrorAction Stop }

        $err.FullyQualifiedErrorId | Should -Be "ExportFailed,$ExportError"
        Get-FolderFiles $disk | Should -Be @('filler.bin')
    }

    It 'leaves an existing file byte for byte as it was (<Mode>)' -Skip:(Skip-When $NoTmpfs) -TestCases @(
        @{ Mode = '-Force'; Rows = 5000 }
        @{ Mode = '-Append'; Rows = 5000 }
        # The new rows fit the disk once, in the temporary file, but not a second time at the end of the target.
        @{ Mode = '-Append, full only while appending'; Rows = 1500 }
    ) {
        $disk = New-FullDisk
        $path = Join-Path $disk 'rows.csv'
        Export-SecureQuery pg ($RowsQuery -f 3) -Path $path -ErrorAction Stop | Out-Null
        $before = Get-Hex $path
        $workspace = Get-TreeHash $ws
        $switch = if ($Mode -like '-Force*') { @{ Force = $true } } else { @{ Append = $true } }

        $err = Get-ErrorRecord { Export-SecureQuery pg ($RowsQuery -f $Rows) -Path $path @switch -ErrorAction Stop }

        $err.FullyQualifiedErrorId | Should -Be "ExportFailed,$ExportError"
        Get-Hex $path | Should -BeExactly $before
        Get-FolderFiles $disk | Should -Be @('rows.csv')
        Get-TreeHash $ws | Should -BeExactly $workspace
    }

    It 'writes the whole result once there is room again' -Skip:(Skip-When $NoTmpfs) {
        $disk = New-FullDisk
        $path = Join-Path $disk 'rows.csv'
        { Export-SecureQuery pg ($RowsQuery -f 5000) -Path $path -ErrorAction Stop } | Should -Throw -ErrorId "ExportFailed,$ExportError"

        $result = Export-SecureQuery pg ($RowsQuery -f 500) -Path $path -ErrorAction Stop

        $result.Rows | Should -Be 500
        @(Import-Csv $path).Count | Should -Be 500
        Get-FolderFiles $disk | Should -Be @('rows.csv')
    }
}
