# Export-SecureQuery against the lab's REAL PostgreSQL, MariaDB and ClickHouse, through the lab's OpenSSH bastion: the
# CSV it writes is byte for byte what Invoke-SecureQuery | Export-Csv writes for the same query, JSON Lines read back
# with ConvertFrom-Json, a query that fails mid-way leaves no file (or the old one untouched), -Append, -Force, -WhatIf.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoMariaDb = if ($NoLab) { $NoLab } elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" } else { $null }
    $NoClickHouse = if ($NoLab) { $NoLab } elseif (-not $lab.clickhouse.available) { "the lab has no ClickHouse: $($lab.clickhouse.reason)" } else { $null }

    $Engines = @(
        @{ Engine = 'PostgreSQL'; Integration = 'pg'; Skip = $NoLab }
        @{ Engine = 'MariaDB'; Integration = 'maria'; Skip = $NoMariaDb }
        @{ Engine = 'ClickHouse'; Integration = 'ch'; Skip = $NoClickHouse }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:ExportError = 'SecureConnect.Commands.ExportSecureQueryCommand'
    # Quotes, commas, semicolons, line breaks, NULLs, Unicode, decimals, timestamps (with and without a zone), booleans.
    $script:Queries = @{
        pg = @'
select g as id,
       case when g = 2 then null else 'He said "hi", then left; twice,' || chr(10) || 'and again ' || g end as "text, ""quoted""",
       'Zürich – 東京 🎉'::text as unicode, 12.50::numeric(10,2) * g as amount, 1.0::float8 / (g + 2) as ratio,
       timestamp '2024-03-10 08:15:00.123456' + g * interval '1 day' as at, timestamptz '2024-03-10 08:15:00+02' as at_zone,
       (g % 2 = 0) as flag, case when g = 3 then array[g, g + 1] end as arr, null::int as nothing, ''::text as empty
from generate_series(1, 3) g
'@
        maria = @'
select 1 as id, concat('He said "hi", then left; twice,', char(10), 'and again') as `text, "quoted"`,
       'Zürich – 東京 🎉' as unicode, cast(12.50 as decimal(10,2)) as amount, cast(1.5 as double) as ratio,
       timestamp('2024-03-10 08:15:00.123456') as at, true as flag, null as nothing, '' as empty
union all
select 2, null, 'ñ', null, cast(0.1 as double), timestamp('2024-12-31 23:59:59'), false, null, ''
'@
        ch = @'
SELECT number AS id, concat('He said "hi", then left; twice,', '\n', 'and again') AS text, 'Zürich – 東京' AS unicode,
       number / 4 AS ratio, toDateTime('2024-03-10 08:15:00') AS at, CAST(NULL AS Nullable(String)) AS nothing
FROM system.numbers LIMIT 3
'@
    }

    function New-LabIntegration {
        # VerifyFull with the lab CA, through the bastion.
        param([string] $Name, [string] $Type, [string] $Server)
        $db = $lab.$Server
        $params = @{
            Name = $Name; Type = $Type; HostName = $db.hostName; Database = $db.database
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; Credential = New-LabCredential $db
        }
        if ($db.port) { $params.Port = [int]$db.port }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    function Get-Hex([string] $Path) { [Convert]::ToHexString([IO.File]::ReadAllBytes($Path)) }

    function Start-ExportRunspace([string] $Path, [string] $Progress) {
        # Export-SecureQuery of an endless result in a runspace of its own, started and left running: the test stops it.
        $shell = [powershell]::Create()
        $null = $shell.AddScript({
                param($Module, $Path, $Progress)
                $ProgressPreference = $Progress
                Import-Module $Module
                Export-SecureQuery pg 'select n, md5(n::text) as h from (select generate_series(1, 2000000000) as n) s' -Path $Path -ErrorAction Stop
            }).AddArgument($env:SECURECONNECT_MODULE_PATH).AddArgument($Path).AddArgument($Progress)
        [pscustomobject]@{ Shell = $shell; Async = $shell.BeginInvoke() }
    }

    # Files left in a folder, hidden ones (the temporary .partial files) included.
    function Get-FolderFiles([string] $Path) { @(Get-ChildItem -LiteralPath $Path -Force -File | ForEach-Object Name | Sort-Object) }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'Export-SecureQuery through the bastion' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            if ($lab.mariadb.available) { New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null }
            if ($lab.clickhouse.available) { New-LabIntegration -Name 'ch' -Type ClickHouse -Server 'clickhouse' | Out-Null }
        }
    }
    AfterAll { Remove-LabWorkspace }
    BeforeEach {
        $script:dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'writes the bytes Invoke-SecureQuery | Export-Csv writes for the same result (<Engine>)' -TestCases $Engines {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $expected = Join-Path $dir 'expected.csv'
        $actual = Join-Path $dir 'actual.csv'
        Invoke-SecureQuery $Integration $Queries[$Integration] -ErrorAction Stop | Export-Csv -Path $expected

        $result = Export-SecureQuery $Integration $Queries[$Integration] -Path $actual -ErrorAction Stop

        Get-Content -Raw $actual | Should -BeExactly (Get-Content -Raw $expected)
        Get-Hex $actual | Should -BeExactly (Get-Hex $expected)
        $rows = @(Import-Csv $actual)
        $rows.Count | Should -BeGreaterThan 1
        $result.Rows | Should -Be $rows.Count
        $result.Bytes | Should -Be (Get-Item $actual).Length
        $result.Path | Should -Be (Get-Item $actual).FullName
        $result.Format | Should -Be 'Csv'
        $result.Integration | Should -Be $Integration
        $result.Appended | Should -BeFalse
        $result.GetType().FullName | Should -Be 'SecureConnect.ExportResult'
        $result.Seconds | Should -BeGreaterThan 0
        Get-FolderFiles $dir | Should -Be @('actual.csv', 'expected.csv')
    }

    It 'writes the bytes Export-Csv writes with -UseQuotes <UseQuotes> -Delimiter "<Delimiter>" -Encoding <Encoding> (PostgreSQL)' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ UseQuotes = 'AsNeeded'; Delimiter = ';'; Encoding = 'utf8BOM' }
        @{ UseQuotes = 'Never'; Delimiter = "`t"; Encoding = 'unicode' }
        @{ UseQuotes = 'Always'; Delimiter = '|'; Encoding = 'utf8' }
    ) {
        $query = $Queries.pg
        $expected = Join-Path $dir 'expected.csv'
        $actual = Join-Path $dir 'actual.csv'
        Invoke-SecureQuery pg $query -ErrorAction Stop | Export-Csv -Path $expected -UseQuotes $UseQuotes -Delimiter $Delimiter -Encoding $Encoding

        Export-SecureQuery pg $query -Path $actual -UseQuotes $UseQuotes -Delimiter $Delimiter -Encoding $Encoding -ErrorAction Stop | Out-Null

        Get-Hex $actual | Should -BeExactly (Get-Hex $expected)
    }

    It 'writes JSON Lines that ConvertFrom-Json reads back with their types (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'rows.jsonl'

        $result = Export-SecureQuery pg $Queries.pg -Path $path -Format JsonLines -ErrorAction Stop

        $result.Format | Should -Be 'JsonLines'
        $result.Rows | Should -Be 3
        $bytes = [IO.File]::ReadAllBytes($path)
        $bytes[0] | Should -Be ([byte][char]'{') -Because 'UTF-8 without a byte order mark'
        $bytes | Where-Object { $_ -eq 13 } | Should -BeNullOrEmpty -Because 'lines end with \n only (a CR in a value is escaped)'
        $bytes[-1] | Should -Be 10
        $lines = @(Get-Content -LiteralPath $path -Encoding utf8)
        $lines.Count | Should -Be 3
        $rows = $lines | ConvertFrom-Json
        $rows[0].PSObject.Properties.Name | Should -Be @('id', 'text, "quoted"', 'unicode', 'amount', 'ratio', 'at', 'at_zone', 'flag', 'arr', 'nothing', 'empty')
        $rows[0].id | Should -Be 1
        $rows[0].id | Should -BeOfType ([long])
        $rows[0].'text, "quoted"' | Should -BeExactly "He said `"hi`", then left; twice,`nand again 1"
        $null -eq $rows[1].'text, "quoted"' | Should -BeTrue
        $rows[0].unicode | Should -BeExactly 'Zürich – 東京 🎉'
        $rows[1].amount | Should -Be 25.00
        $rows[0].ratio | Should -Be (1.0 / 3)
        $rows[0].at | Should -BeOfType ([datetime])
        $rows[0].at | Should -Be ([datetime]'2024-03-11T08:15:00.123456')
        $lines[0] | Should -Match '"at_zone":"2024-03-10T06:15:00\.0000000Z"' -Because 'timestamptz comes as a UTC DateTime, written with "O"'
        $rows[0].at_zone.ToUniversalTime() | Should -Be ([datetime]::new(2024, 3, 10, 6, 15, 0, [DateTimeKind]::Utc))
        $rows[0].flag | Should -BeFalse
        $rows[1].flag | Should -BeTrue
        $null -eq $rows[0].arr | Should -BeTrue
        $rows[2].arr | Should -Be @(3, 4)
        $null -eq $rows[0].nothing | Should -BeTrue
        $rows[0].empty | Should -BeExactly ''
    }

    It 'leaves no file, and no temporary file, when the query fails mid-way (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'fails.csv'

        { Export-SecureQuery pg 'select 10 / (5000 - g) as x from generate_series(1, 10000) g' -Path $path -ErrorAction Stop } |
            Should -Throw -ErrorId "QueryFailed,$ExportError"

        Test-Path $path | Should -BeFalse
        Get-FolderFiles $dir | Should -BeNullOrEmpty
    }

    It 'leaves an existing file untouched when the query fails mid-way, also with -Force and -Append (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'kept.csv'
        Export-SecureQuery pg 'select g as x from generate_series(1, 3) g' -Path $path -ErrorAction Stop | Out-Null
        $before = Get-Hex $path

        { Export-SecureQuery pg 'select 10 / (5000 - g) as x from generate_series(1, 10000) g' -Path $path -Force -ErrorAction Stop } |
            Should -Throw -ErrorId "QueryFailed,$ExportError"
        { Export-SecureQuery pg 'select 10 / (5000 - g) as x from generate_series(1, 10000) g' -Path $path -Append -ErrorAction Stop } |
            Should -Throw -ErrorId "QueryFailed,$ExportError"

        Get-Hex $path | Should -BeExactly $before
        Get-FolderFiles $dir | Should -Be @('kept.csv')
    }

    It 'shows progress with rows, MiB and rate while it writes, and leaves no file when stopped (Ctrl+C) mid-way (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        # A result with no end (a set-returning function in the select list streams): only the stop ends it.
        $path = Join-Path $dir 'stopped.csv'
        $run = Start-ExportRunspace -Path $path -Progress 'Continue'
        try {
            Wait-Until { $run.Shell.Streams.Progress.Count -gt 0 } 120 | Should -BeTrue -Because 'a long export reports its progress'
            $run.Shell.Stop()
            $stopped = try { $run.Shell.EndInvoke($run.Async); $null } catch { $_.Exception.GetBaseException() }
            $stopped | Should -BeOfType ([Management.Automation.PipelineStoppedException])
        }
        finally { $run.Shell.Dispose() }

        $record = $run.Shell.Streams.Progress[0]
        $record.Activity | Should -BeLike "Export-SecureQuery to *stopped.csv"
        $record.StatusDescription | Should -Match '^[\d,.\s]+ rows, [\d,.]+ MiB, [\d,.\s]+ rows/s$'
        Get-FolderFiles $dir | Should -BeNullOrEmpty -Because 'a stopped export leaves neither the file nor its temporary file'
    }

    It 'shows no progress under $ProgressPreference = SilentlyContinue (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'quiet.csv'
        $run = Start-ExportRunspace -Path $path -Progress 'SilentlyContinue'
        try {
            # Still writing well after the first progress tick (half a second) would have come.
            $sw = [Diagnostics.Stopwatch]::StartNew()
            Wait-Until { $sw.Elapsed.TotalSeconds -gt 1.5 -and @(Get-ChildItem -LiteralPath $dir -Force -File).Count -eq 1 } 120 | Should -BeTrue
            $size = (Get-ChildItem -LiteralPath $dir -Force -File).Length
            Wait-Until { (Get-ChildItem -LiteralPath $dir -Force -File).Length -gt $size } 60 | Should -BeTrue -Because 'rows are still being written'
            $run.Shell.Stop()
        }
        finally { $run.Shell.Dispose() }

        $run.Shell.Streams.Progress.Count | Should -Be 0
        Get-FolderFiles $dir | Should -BeNullOrEmpty
    }

    It 'refuses an existing file without -Force or -Append, and replaces it with -Force (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'exists.csv'
        Set-Content -LiteralPath $path -Value 'old'

        { Export-SecureQuery pg 'select 1 as x' -Path $path -ErrorAction Stop } | Should -Throw -ErrorId "ExportTargetExists,$ExportError"
        Get-Content -Raw $path | Should -BeExactly "old$([Environment]::NewLine)"

        (Export-SecureQuery pg 'select 1 as x' -Path $path -Force -ErrorAction Stop).Rows | Should -Be 1
        Get-Content -Raw $path | Should -BeExactly ('"x"', '"1"', '' -join [Environment]::NewLine)
    }

    It 'appends a complete result without a second header, as Export-Csv -Append does (<Engine>)' -TestCases $Engines[0, 1] {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $expected = Join-Path $dir 'expected.csv'
        $actual = Join-Path $dir 'actual.csv'
        $first = 'select 1 as id, ''a, "b"'' as label'
        $second = 'select ''c'' as label, 2 as id union all select ''d'', 3'
        Invoke-SecureQuery $Integration $first -ErrorAction Stop | Export-Csv -Path $expected
        Invoke-SecureQuery $Integration $second -ErrorAction Stop | Export-Csv -Path $expected -Append

        Export-SecureQuery $Integration $first -Path $actual -ErrorAction Stop | Out-Null
        $result = Export-SecureQuery $Integration $second -Path $actual -Append -ErrorAction Stop

        Get-Hex $actual | Should -BeExactly (Get-Hex $expected)
        (Import-Csv $actual).id | Should -Be @('1', '2', '3')
        $result.Appended | Should -BeTrue
        $result.Rows | Should -Be 2
        $result.Bytes | Should -Be ([Text.Encoding]::UTF8.GetByteCount("`"2`",`"c`"$([Environment]::NewLine)`"3`",`"d`"$([Environment]::NewLine)"))
    }

    It 'refuses to append rows whose columns differ from the file''s header, and leaves the file as it was (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'header.csv'
        Export-SecureQuery pg 'select 1 as id, 2 as total' -Path $path -ErrorAction Stop | Out-Null
        $before = Get-Hex $path

        { Export-SecureQuery pg 'select 1 as id, 2 as amount' -Path $path -Append -ErrorAction Stop } | Should -Throw -ErrorId "ExportHeaderMismatch,$ExportError"

        Get-Hex $path | Should -BeExactly $before
        Get-FolderFiles $dir | Should -Be @('header.csv')
    }

    It 'appends JSON Lines (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'more.jsonl'
        Export-SecureQuery pg 'select g as n from generate_series(1, 2) g' -Path $path -Format JsonLines -ErrorAction Stop | Out-Null
        Export-SecureQuery pg 'select g as n from generate_series(3, 4) g' -Path $path -Format JsonLines -Append -ErrorAction Stop | Out-Null

        [IO.File]::ReadAllText($path) | Should -BeExactly "{`"n`":1}`n{`"n`":2}`n{`"n`":3}`n{`"n`":4}`n"
    }

    It 'takes integrations from the pipeline by property name (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'piped.csv'

        $result = Get-SecureIntegration pg | Export-SecureQuery -Query 'select 42 as answer' -Path $path -ErrorAction Stop

        $result.Integration | Should -Be 'pg'
        (Import-Csv $path).answer | Should -Be '42'
    }

    It 'writes nothing with -WhatIf' -Skip:(Skip-When $NoLab) {
        $path = Join-Path $dir 'whatif.csv'

        Export-SecureQuery pg 'select 1 as x' -Path $path -WhatIf | Should -BeNullOrEmpty

        Get-FolderFiles $dir | Should -BeNullOrEmpty
    }

    It 'refuses the CSV parameters with JSON Lines' -Skip:(Skip-When $NoLab) {
        { Export-SecureQuery pg 'select 1 as x' -Path (Join-Path $dir 'x.jsonl') -Format JsonLines -Delimiter ';' -ErrorAction Stop } |
            Should -Throw -ErrorId "ParameterNotApplicable,$ExportError"
        Get-FolderFiles $dir | Should -BeNullOrEmpty
    }

    It 'refuses a -Path whose folder does not exist (ExportFailed)' -Skip:(Skip-When $NoLab) {
        { Export-SecureQuery pg 'select 1 as x' -Path (Join-Path $dir 'no/such/file.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId "ExportFailed,$ExportError"
    }
}
