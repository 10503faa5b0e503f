# Invoke-SecureQuery against the lab's REAL PostgreSQL and MariaDB, every connection through the lab's OpenSSH bastion
# (in netns mode the databases are reachable ONLY through it): rows as objects, streaming and server-side cancel,
# parameters, runspaces sharing one tunnel, and secrets that appear nowhere. SQL Server runs only when configured.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoMariaDb = if ($NoLab) { $NoLab } elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" } else { $null }
    $NoNetns = if ($NoLab) { $NoLab } elseif ($lab.mode -ne 'netns') { "the lab runs in '$($lab.mode)' mode; only the netns lab shows the bastion's address to the database" } else { $null }

    # The same checks on both engines; the SQL that differs is in the case.
    $Engines = @(
        @{ Engine = 'PostgreSQL'; Integration = 'pg'; NullSafeEquals = 'note is not distinct from @note::text'; MissingTable = '42P01' }
        @{ Engine = 'MariaDB'; Integration = 'maria'; NullSafeEquals = 'note <=> @note'; MissingTable = 'MySQL error 1146' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints
    $script:QueryError = 'SecureConnect.Commands.InvokeSecureQueryCommand'





    function New-LabIntegration {
        # VerifyFull with the lab CA, through the bastion; -NoCredential leaves the login to each call.
        param([string] $Name, [string] $Type, [string] $Server, [switch] $NoCredential, [hashtable] $Extra = @{})
        $db = $lab.$Server
        $params = @{
            Name = $Name; Type = $Type; HostName = $db.hostName; Port = [int]$db.port; Database = $db.database
            SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath
        }
        if (-not $NoCredential) { $params.Credential = New-LabCredential $db }
        foreach ($k in $Extra.Keys) { $params[$k] = $Extra[$k] }
        New-SecureIntegration @params @ssh -ErrorAction Stop
    }

    function Get-LiveTunnels { @(Get-SshTunnel | Where-Object { "$($_.State)" -ne 'Stopped' }) }


    function Get-ActiveQueryCount([string] $Marker) {
        # Sessions (other than this one) whose current query holds $Marker, as PostgreSQL's pg_stat_activity shows them.
        [int](Invoke-SecureQuery pg "select count(*) from pg_stat_activity where query like '%$Marker%' and state <> 'idle' and pid <> pg_backend_pid()" -As Scalar -ErrorAction Stop)
    }

    function Get-AllText($Objects) {
        # Everything a user could see of these objects: formatted, as strings, and as JSON.
        $items = @($Objects)
        (($items | Format-List * -Force | Out-String -Width 4096), ($items | ForEach-Object { "$_" }), ($items | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue)) -join "`n"
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'Invoke-SecureQuery rows through the bastion' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            if ($lab.mariadb.available) { New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null }
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'returns PSObjects with the columns in query order, unique names, NULL as $null and native types (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $sql = "select 1 as id, 2 as id, 'x'::text as ""Label"", null::text as missing, 12.50::numeric(10,2) as amount, " +
        "timestamptz '2024-03-10 08:15:00+00' as at, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid as u, '\x0102ff'::bytea as b, array[1,2,3] as arr"
        $rows = @(Invoke-SecureQuery pg $sql -ErrorAction Stop)
        $rows.Count | Should -Be 1
        $row = $rows[0]
        $row.PSObject.BaseObject | Should -BeOfType ([System.Management.Automation.PSCustomObject])
        $row.PSObject.Properties.Name | Should -Be @('id', 'id1', 'Label', 'missing', 'amount', 'at', 'u', 'b', 'arr')
        $row.id | Should -Be 1
        $row.id1 | Should -Be 2
        $row.Label | Should -BeExactly 'x'
        $null -eq $row.missing | Should -BeTrue
        $row.missing | Should -Not -BeOfType ([DBNull])
        $row.amount | Should -BeOfType ([decimal])
        $row.amount | Should -Be 12.50
        $row.at | Should -BeOfType ([datetime])
        $row.at.ToUniversalTime() | Should -Be ([datetime]::new(2024, 3, 10, 8, 15, 0, [DateTimeKind]::Utc))
        $row.u | Should -BeOfType ([guid])
        $row.u | Should -Be ([guid]'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
        , $row.b | Should -BeOfType ([byte[]])
        $row.b | Should -Be @(1, 2, 255)
        , $row.arr | Should -BeOfType ([int[]])
        $row.arr | Should -Be @(1, 2, 3)
    }

    It 'returns the result sets of several statements one after another (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $rows = @(Invoke-SecureQuery pg 'select 1 as a; select 2 as b union all select 3' -ErrorAction Stop)
        $rows.Count | Should -Be 3
        $rows[0].PSObject.Properties.Name | Should -Be @('a')
        $rows[0].a | Should -Be 1
        $rows[1].PSObject.Properties.Name | Should -Be @('b')
        ($rows | Select-Object -Skip 1).b | Should -Be @(2, 3)
    }

    It 'reads the people table on <Engine>: 5 rows, non-ASCII intact, the NULL note of id 3 is $null, and a row converts to JSON' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $rows = @(Invoke-SecureQuery $Integration 'select id, name, email, score, joined, note from people order by id' -ErrorAction Stop)
        $rows.Count | Should -Be 5
        $rows.id | Should -Be @(1, 2, 3, 4, 5)
        $rows[3].name | Should -BeExactly 'Zoë Müller'
        $rows[0].score | Should -BeOfType ([decimal])
        $rows[0].joined | Should -BeOfType ([datetime])
        $grace = $rows | Where-Object id -eq 3
        $grace.name | Should -Be 'Grace Hopper'
        $null -eq $grace.note | Should -BeTrue
        $grace.note | Should -Not -BeOfType ([DBNull])
        $grace.PSObject.Properties.Name | Should -Contain 'note'

        $json = $grace | ConvertTo-Json -Compress
        $back = $json | ConvertFrom-Json
        $back.id | Should -Be 3
        $back.name | Should -Be 'Grace Hopper'
        $back.PSObject.Properties.Name | Should -Contain 'note'
        $null -eq $back.note | Should -BeTrue
        $json | Should -Match '"note":null'
    }

    It 'exports to CSV with exactly the query''s columns on <Engine>' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $f = Join-Path ([IO.Path]::GetTempPath()) ("sc-export-" + [guid]::NewGuid().ToString('N') + '.csv')
        try {
            Invoke-SecureQuery $Integration 'select id, name, email from people order by id' -ErrorAction Stop | Export-Csv -Path $f -NoTypeInformation
            $lines = @(Get-Content -Path $f -Encoding utf8)
            $lines[0] | Should -BeExactly '"id","name","email"'
            $lines.Count | Should -Be 6
            $lines[1] | Should -BeExactly '"1","Ada Lovelace","ada@example.test"'
            $lines[4] | Should -BeExactly '"4","Zoë Müller","zoe@example.test"'
        }
        finally { Remove-Item -Path $f -ErrorAction SilentlyContinue }
    }

    It 'returns -As Scalar, DataTable, DataRow and NonQuery (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $count = Invoke-SecureQuery pg 'select count(*) from people' -As Scalar -ErrorAction Stop
        $count | Should -Be 5
        Invoke-SecureQuery pg 'select note from people where id = 3' -As Scalar -ErrorAction Stop | Should -BeNullOrEmpty
        # PowerShell itself enumerates a DataTable's rows in @() and Should, so look at it whole.
        $table = Invoke-SecureQuery pg 'select id, name from people order by id' -As DataTable -ErrorAction Stop
        $table.GetType().FullName | Should -Be 'System.Data.DataTable'
        $table.Rows.Count | Should -Be 5
        $table.Columns.ColumnName | Should -Be @('id', 'name')
        $table.Rows[3]['name'] | Should -BeExactly 'Zoë Müller'
        $dataRows = @(Invoke-SecureQuery pg 'select id from people order by id' -As DataRow -ErrorAction Stop)
        $dataRows.Count | Should -Be 5
        $dataRows[0] | Should -BeOfType ([System.Data.DataRow])
        Invoke-SecureQuery pg 'create temp table t (x int); insert into t values (1), (2), (3)' -As NonQuery -ErrorAction Stop | Should -Be 3
    }

    It 'returns every result set of several statements with -As DataTable and -As DataRow (PostgreSQL)' -Skip:(Skip-When $NoLab) {
        $sql = 'select 1 as a; select 2 as b; select 3 as c'
        # ForEach-Object sees each DataTable whole (the cmdlet writes it without enumerating it).
        $tables = @(Invoke-SecureQuery pg $sql -As DataTable -ErrorAction Stop | ForEach-Object { $_.GetType().Name + ':' + $_.Columns[0].ColumnName })
        $tables | Should -Be @('DataTable:a', 'DataTable:b', 'DataTable:c')
        $rows = @(Invoke-SecureQuery pg $sql -As DataRow -ErrorAction Stop | ForEach-Object { $_.Table.Columns[0].ColumnName + '=' + $_[0] })
        $rows | Should -Be @('a=1', 'b=2', 'c=3')
    }

    It 'takes queries from the pipeline, and runs on each integration piped in' -Skip:(Skip-When $NoMariaDb) {
        $rows = @('select 1 as a', 'select 2 as b' | Invoke-SecureQuery pg -ErrorAction Stop)
        $rows.Count | Should -Be 2
        $rows[0].a | Should -Be 1
        $rows[1].b | Should -Be 2

        $versions = @(Get-SecureIntegration | Invoke-SecureQuery -Query 'select version() as v' -ErrorAction Stop)
        $versions.Count | Should -Be 2
        @($versions.v | Where-Object { $_ -match 'PostgreSQL' }).Count | Should -Be 1
        @($versions.v | Where-Object { $_ -match 'MariaDB' }).Count | Should -Be 1
    }

    It 'reports a missing table on <Engine> as QueryFailed with <MissingTable>, without stopping the pipeline' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $rows = @('select * from no_such_table', 'select 7 as seven' | Invoke-SecureQuery $Integration -ErrorAction SilentlyContinue -ErrorVariable errs)
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "QueryFailed,$QueryError"
        $errs[0].Exception.Message | Should -Match ([regex]::Escape($MissingTable))
        $errs[0].Exception.Message | Should -Match 'no_such_table'
        $rows.Count | Should -Be 1
        $rows[0].seven | Should -Be 7
    }
}

Describe 'Streaming through the tunnel' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null
            # Warm up: the tunnel and the first connection are not what is measured.
            Invoke-SecureQuery pg 'select 1' | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'Select-Object -First 5 cancels the query on <Engine>: the server shows it gone, having made far fewer rows than a drain' -Skip:(Skip-When $NoMariaDb) -TestCases @(
        @{
            Engine = 'PostgreSQL'; Integration = 'pg'
            Create = 'create sequence {0}'
            Query  = "select g as n, nextval('{0}') as made from generate_series(1, {1}) g /* {2} */"
            Made   = 'select last_value from {0}'
            Active = "select count(*) from pg_stat_activity where query like '%{0}%' and state <> 'idle' and pid <> pg_backend_pid()"
            Drop   = 'drop sequence if exists {0}'
        }
        @{
            Engine = 'MariaDB'; Integration = 'maria'
            Create = 'create sequence {0}'
            Query  = 'select seq as n, nextval({0}) as made from seq_1_to_{1} /* {2} */'
            Made   = 'select next_not_cached_value - 1 from {0}'
            Active = "select count(*) from information_schema.processlist where info like '%{0}%' and id <> connection_id()"
            Drop   = 'drop sequence if exists {0}'
        }
    ) {
        # Each row takes a value from a sequence as the server makes it, and a sequence is not rolled back: the value
        # left behind says how many rows the server made. Drained, it would be the whole result; cancelled, far less.
        $total = 2000000
        $sequence = 'sc_cancel_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $marker = 'marker-' + [guid]::NewGuid().ToString('N')
        Invoke-SecureQuery $Integration ($Create -f $sequence) -As NonQuery -ErrorAction Stop | Out-Null
        try {
            $rows = @(Invoke-SecureQuery $Integration ($Query -f $sequence, $total, $marker) -CommandTimeout 120 -ErrorAction Stop | Select-Object -First 5)
            $rows.n | Should -Be @(1, 2, 3, 4, 5)
            $activeQuery = $Active -f $marker
            Wait-Until { [int](Invoke-SecureQuery $Integration $activeQuery -As Scalar -ErrorAction Stop) -eq 0 } 30 |
                Should -BeTrue -Because 'the server must stop running the query'
            $made = [long](Invoke-SecureQuery $Integration ($Made -f $sequence) -As Scalar -ErrorAction Stop)
            Write-Host "    $Engine made $made of $total rows before the cancel"
            $made | Should -BeGreaterOrEqual 5
            $made | Should -BeLessThan ($total / 2) -Because 'a drained result would have made every row'
        }
        finally {
            Invoke-SecureQuery $Integration ($Drop -f $sequence) -As NonQuery -ErrorAction SilentlyContinue | Out-Null
        }
    }

    It 'Select-Object -First 5 of 1,000,000 rows returns at once, and the query is gone from the server' -Skip:(Skip-When $NoLab) {
        $marker = 'marker-' + [guid]::NewGuid().ToString('N')
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $rows = @(Invoke-SecureQuery pg "select g as n from generate_series(1, 1000000) g /* $marker */" -ErrorAction Stop | Select-Object -First 5)
        $sw.Stop()
        Write-Host "    the first 5 of 1,000,000 rows after $([Math]::Round($sw.Elapsed.TotalSeconds, 2)) s"
        $rows.Count | Should -Be 5
        $rows.n | Should -Be @(1, 2, 3, 4, 5)
        Wait-Until { (Get-ActiveQueryCount $marker) -eq 0 } 10 | Should -BeTrue -Because 'the server must not keep running the query'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'cancels the rest of a long query on the server when the pipeline stops early' -Skip:(Skip-When $NoLab) {
        # Left alone this query runs 20 s or more (1 ms per row); streamed, its first rows arrive at once.
        $marker = 'marker-' + [guid]::NewGuid().ToString('N')
        $sql = "select g as n from generate_series(1, 20000) g where length(pg_sleep(0.001)::text) >= 0 /* $marker */"
        $activeWhileStreaming = $null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $rows = @(Invoke-SecureQuery pg $sql -CommandTimeout 60 -ErrorAction Stop | ForEach-Object {
                if ($null -eq $activeWhileStreaming) { $activeWhileStreaming = Get-ActiveQueryCount $marker }
                $_
            } | Select-Object -First 5)
        $sw.Stop()
        Write-Host "    the first 5 rows of a 20 s query after $([Math]::Round($sw.Elapsed.TotalSeconds, 2)) s"
        $rows.n | Should -Be @(1, 2, 3, 4, 5)
        $activeWhileStreaming | Should -Be 1 -Because 'the server is still running the query while the first row is in hand'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'stopping early must not wait for the rest of the result'
        Wait-Until { (Get-ActiveQueryCount $marker) -eq 0 } 10 | Should -BeTrue -Because 'the query must be cancelled on the server'
    }
}

Describe 'A result cut off mid-stream' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            if ($lab.mariadb.available) { New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null }
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'is a terminating QueryInterrupted saying how many rows came, when the bastion dies while <Engine> rows stream (Export-Csv keeps no complete-looking file)' -Skip:(Skip-When $NoMariaDb) -TestCases @(
        @{ Engine = 'PostgreSQL'; Integration = 'pg'; Query = "select g as n, md5(g::text) as h from generate_series(1, 3000000) g" }
        @{ Engine = 'MariaDB'; Integration = 'maria'; Query = "select seq as n, md5(seq) as h from seq_1_to_3000000" }
    ) {
        $labScript = Join-Path $PSScriptRoot 'lab/lab.sh'
        $csv = Join-Path $ws "cut-$Integration.csv"
        $seen = 0
        $caught = $null
        try {
            # A runbook without -ErrorAction Stop: only a terminating error stops it.
            Invoke-SecureQuery $Integration $Query | ForEach-Object {
                $seen++
                if ($seen -eq 2000) {
                    $out = & bash $labScript restart-sshd bastion 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "restart-sshd failed: $out" }
                }
                $_
            } | Export-Csv -Path $csv
        }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because "the stream was cut after $seen of 3000000 rows: the script must not go on as if it were complete"
        $caught.FullyQualifiedErrorId | Should -Be 'QueryInterrupted,SecureConnect.Commands.InvokeSecureQueryCommand'
        $caught.Exception.Message | Should -Match "after $seen rows"
        $seen | Should -BeLessThan 3000000
        # The tunnel comes back for the next query.
        Wait-Until { (Get-SshTunnel | Where-Object RemoteHost -eq $lab.$(if ($Engine -eq 'PostgreSQL') { 'postgresTls' } else { 'mariadb' }).hostName).State -eq 'Up' } 30 | Should -BeTrue
        Invoke-SecureQuery $Integration 'select 1 as one' -ErrorAction Stop | ForEach-Object one | Should -Be 1
    }

    It 'reports a server error in the middle of the rows as QueryFailed (not an interruption), and still stops the runbook with -ErrorAction Stop' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery pg "select 10 / (5000 - g) as x from generate_series(1, 10000) g" -ErrorAction Stop | Out-Null }
        $err.FullyQualifiedErrorId | Should -Be 'QueryFailed,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match '22012'
    }

    It 'reports a value the driver cannot read (<What>) as QueryFailed naming the column and the fix, not as a broken connection' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ What = 'a numeric beyond decimal'; Value = '1e40::numeric' }
        @{ What = 'a date after 9999'; Value = "date '10000-01-01'" }
        @{ What = 'a timestamp BC'; Value = "timestamp '0044-03-15 BC'" }
    ) {
        # (An interval of months was one until intervals became ISO-8601 text: tests/Output.Tests.ps1.)
        $rows = [System.Collections.Generic.List[object]]::new()
        $err = Get-ErrorRecord { Invoke-SecureQuery pg "select g as n, case when g = 3 then $Value end as odd from generate_series(1, 5) g" -ErrorAction Stop | ForEach-Object { $rows.Add($_) } }
        $err.FullyQualifiedErrorId | Should -Be 'QueryFailed,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match "after 2 rows"
        $err.Exception.Message | Should -Match "'odd'"
        $err.Exception.Message | Should -Match '::text'
        $rows.Count | Should -Be 2
        # The connection was fine: the next query runs.
        Invoke-SecureQuery pg 'select 1 as one' -ErrorAction Stop | ForEach-Object one | Should -Be 1
    }
}

Describe 'Parameters' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            if ($lab.mariadb.available) { New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null }
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'binds text parameters on <Engine>, so SQL in a value stays a value' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $byName = 'select id from people where name = @n'
        @(Invoke-SecureQuery $Integration $byName -Parameters @{ n = 'Grace Hopper' } -ErrorAction Stop).id | Should -Be 3
        @(Invoke-SecureQuery $Integration $byName -Parameters @{ n = 'Zoë Müller' } -ErrorAction Stop).id | Should -Be 4
        @(Invoke-SecureQuery $Integration $byName -Parameters @{ n = "x' or '1'='1" } -ErrorAction Stop).Count | Should -Be 0
        @(Invoke-SecureQuery $Integration $byName -Parameters @{ n = "x'; drop table people; --" } -ErrorAction Stop).Count | Should -Be 0
        Invoke-SecureQuery $Integration 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
    }

    It 'binds numeric parameters on <Engine>' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        (Invoke-SecureQuery $Integration 'select name from people where id = @id' -Parameters @{ id = 4 } -ErrorAction Stop).name | Should -BeExactly 'Zoë Müller'
        (Invoke-SecureQuery $Integration 'select id from people where score >= @min order by id' -Parameters @{ min = [decimal]97.25 } -ErrorAction Stop).id | Should -Be @(1, 2, 3)
        (Invoke-SecureQuery $Integration 'select id from people where id between @lo and @hi order by id' -Parameters @{ lo = 2; hi = 3 } -ErrorAction Stop).id | Should -Be @(2, 3)
    }

    It 'binds a $null parameter as NULL on <Engine>' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        @(Invoke-SecureQuery $Integration "select id from people where $NullSafeEquals" -Parameters @{ note = $null } -ErrorAction Stop).id | Should -Be @(3)
        @(Invoke-SecureQuery $Integration "select id from people where $NullSafeEquals" -Parameters @{ note = 'kernel' } -ErrorAction Stop).id | Should -Be @(5)
    }
}

Describe 'Parameters of every PowerShell shape, and -As DataTable on results a DataTable cannot hold' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
            if ($lab.mariadb.available) { New-LabIntegration -Name 'maria' -Type MariaDB -Server 'mariadb' | Out-Null }
        }

        function Assert-Refused([string] $Integration, [string] $Query, [hashtable] $Parameters, [string] $Name, [string] $TypeName) {
            # Refused before the query runs: InvalidParameterValue, naming the parameter and the .NET type, and saying what is accepted.
            $err = Get-ErrorRecord { Invoke-SecureQuery $Integration $Query -Parameters $Parameters -ErrorAction Stop }
            $err | Should -Not -BeNullOrEmpty -Because "a $TypeName value must be refused"
            $err.FullyQualifiedErrorId | Should -Be "InvalidParameterValue,$QueryError"
            "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
            $err.TargetObject | Should -Be "@$Name"
            $err.Exception.Message | Should -BeLike "*@$Name*"
            $err.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($TypeName))*"
            $err
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'binds arrays as PostgreSQL arrays: where id = any(@ids)' -Skip:(Skip-When $NoLab) {
        $any = 'select id from people where id = any(@ids) order by id'
        (Invoke-SecureQuery pg $any -Parameters @{ ids = @(1, 2, 3) } -ErrorAction Stop).id | Should -Be @(1, 2, 3)
        (Invoke-SecureQuery pg $any -Parameters @{ ids = [long[]](2, 5) } -ErrorAction Stop).id | Should -Be @(2, 5)
        (Invoke-SecureQuery pg $any -Parameters @{ ids = @(1, $null, 5) } -ErrorAction Stop).id | Should -Be @(1, 5) -Because 'a $null element is a NULL element'
        (Invoke-SecureQuery pg $any -Parameters @{ ids = @(4, 3000000000) } -ErrorAction Stop).id | Should -Be @(4) -Because 'int and long elements widen to bigint'
        (Invoke-SecureQuery pg $any -Parameters @{ ids = [uint64[]](3, 4) } -ErrorAction Stop).id | Should -Be @(3, 4)
        (Invoke-SecureQuery pg $any -Parameters @{ ids = @([psobject]2, [psobject]3) } -ErrorAction Stop).id | Should -Be @(2, 3)
        @(Invoke-SecureQuery pg $any -Parameters @{ ids = [int[]]@() } -ErrorAction Stop).Count | Should -Be 0
        $names = 'select id from people where name = any(@names) order by id'
        (Invoke-SecureQuery pg $names -Parameters @{ names = @('Grace Hopper', 'Zoë Müller') } -ErrorAction Stop).id | Should -Be @(3, 4)
    }

    It 'refuses an array on MariaDB (no arrays there) and says what to do instead' -Skip:(Skip-When $NoMariaDb) {
        $err = Assert-Refused maria 'select id from people where id in (@ids)' @{ ids = @(1, 2, 3) } 'ids' 'System.Object[]'
        $err.Exception.Message | Should -BeLike '*one parameter per value*'
    }

    It 'refuses a hashtable, a PSCustomObject, a scriptblock and a mixed array on <Engine>' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $err = Assert-Refused $Integration 'select @v as v' @{ v = @{ a = 1 } } 'v' 'System.Collections.Hashtable'
        $err.Exception.Message | Should -BeLike '*string*' -Because 'the message lists the accepted types'
        Assert-Refused $Integration 'select @v as v' @{ v = [pscustomobject]@{ a = 1 } } 'v' 'System.Management.Automation.PSCustomObject' | Out-Null
        Assert-Refused $Integration 'select @v as v' @{ v = { 'code' } } 'v' 'System.Management.Automation.ScriptBlock' | Out-Null
        Assert-Refused $Integration 'select @v as v' @{ v = @(1, 'two') } 'v' 'System.Object[]' | Out-Null
    }

    It 'never sends a SecureString as a query parameter on <Engine>, and the secret is nowhere in the error' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $secret = 'Pw-' + [guid]::NewGuid().ToString('N')
        $err = Assert-Refused $Integration 'select @pw as pw' @{ pw = (ConvertTo-SecureString $secret -AsPlainText -Force) } 'pw' 'System.Security.SecureString'
        Get-AllText $err | Should -Not -BeLike "*$secret*"
    }

    It 'sends nothing to <Engine> when one parameter is refused' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $table = 'refused_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
        $exists = if ($Engine -eq 'PostgreSQL') { 'select count(*) from pg_tables where tablename = @t' } else { 'select count(*) from information_schema.tables where table_schema = database() and table_name = @t' }
        try {
            Assert-Refused $Integration "create table $table (id int)" @{ ok = 1; bad = @{ a = 1 } } 'bad' 'System.Collections.Hashtable' | Out-Null
            Invoke-SecureQuery $Integration $exists -Parameters @{ t = $table } -As Scalar -ErrorAction Stop | Should -Be 0 -Because 'the statement must not have run'
        }
        finally {
            Invoke-SecureQuery $Integration "drop table if exists $table" -As NonQuery -ErrorAction SilentlyContinue | Out-Null
        }
    }

    It 'binds [uint64] and [uint32] on <Engine>, up to [uint64]::MaxValue' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        $byId = 'select name from people where id = @id'
        (Invoke-SecureQuery $Integration $byId -Parameters @{ id = [uint64]5 } -ErrorAction Stop).name | Should -BeExactly 'Linus Torvalds'
        (Invoke-SecureQuery $Integration $byId -Parameters @{ id = [uint32]4 } -ErrorAction Stop).name | Should -BeExactly 'Zoë Müller'
        $asText = if ($Engine -eq 'PostgreSQL') { 'select (@big)::text as t' } else { 'select cast(@big as char) as t' }
        (Invoke-SecureQuery $Integration $asText -Parameters @{ big = [uint64]::MaxValue } -ErrorAction Stop).t | Should -BeExactly '18446744073709551615'
    }

    It 'sends an enum as its name on <Engine>' -Skip:(Skip-When $NoLab) -TestCases $Engines {
        if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
        (Invoke-SecureQuery $Integration 'select @day as d' -Parameters @{ day = [DayOfWeek]::Monday } -ErrorAction Stop).d | Should -BeExactly 'Monday'
    }

    It 'binds a DateTimeOffset with any offset on PostgreSQL (the same instant)' -Skip:(Skip-When $NoLab) {
        $at = [datetimeoffset]::new(2024, 3, 10, 10, 15, 0, [timespan]::FromHours(2))
        Invoke-SecureQuery pg "select @at = timestamptz '2024-03-10 08:15:00+00'" -Parameters @{ at = $at } -As Scalar -ErrorAction Stop | Should -BeTrue
    }

    It '-As DataTable and DataRow hold every row as it came: NULL from an outer join or ROLLUP, and a repeated key (MariaDB, PostgreSQL)' -Skip:(Skip-When $NoMariaDb) {
        $sql = 'select q.id, p.name from people p left join people q on q.id = p.id + 10'
        @(Invoke-SecureQuery maria $sql -ErrorAction Stop).Count | Should -Be 5 -Because 'as objects'
        $table = Invoke-SecureQuery maria $sql -As DataTable -ErrorAction Stop
        ($table -is [System.Data.DataTable]) | Should -BeTrue
        $table.Rows.Count | Should -Be 5 -Because 'a DataTable holds the result as it came, without the base table''s NOT NULL or key'
        @($table.Rows | Where-Object { $_.id -is [DBNull] }).Count | Should -Be 5
        $rollup = @(Invoke-SecureQuery maria 'select id, count(*) as n from people group by id with rollup' -As DataRow -ErrorAction Stop)
        $rollup.Count | Should -Be 6 -Because 'five ids and the ROLLUP total (NULL id)'
        # A result that repeats the base table's primary key keeps every row (a cross join of 5 x 5).
        (Invoke-SecureQuery maria 'select a.id, b.name from people a cross join people b' -As DataTable -ErrorAction Stop).Rows.Count | Should -Be 25
        (Invoke-SecureQuery pg 'select a.id, b.name from people a cross join people b' -As DataTable -ErrorAction Stop).Rows.Count | Should -Be 25
    }
}

Describe 'ForEach-Object -Parallel: runspaces share one tunnel' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            # No session credential: each runspace must pass its own -Credential.
            New-LabIntegration -Name 'par' -Type PostgreSQL -Server 'postgresTls' -NoCredential | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'runs 8 queries in 8 runspaces with -Credential from $using:, through ONE tunnel' -Skip:(Skip-When $NoNetns) {
        $db = $lab.postgresTls
        (Get-SecureIntegration -Name 'par').HasSessionCredential | Should -BeFalse
        Get-SshTunnel | Stop-SshTunnel
        @(Get-LiveTunnels).Count | Should -Be 0
        # The last tunnel id handed out so far: a start that is shared allocates exactly one more.
        $marker = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
        $marker | Stop-SshTunnel

        $cred = New-LabCredential $db
        $module = $env:SECURECONNECT_MODULE_PATH
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $results = @(1..8 | ForEach-Object -ThrottleLimit 8 -TimeoutSeconds 120 -Parallel {
                $index = $_
                Import-Module $using:module
                try {
                    $row = Invoke-SecureQuery -Integration 'par' -Query 'select pg_backend_pid() as pid, host(inet_client_addr()) as addr, current_user as who' -Credential $using:cred -ErrorAction Stop
                    [pscustomobject]@{ Index = $index; Ok = $true; BackendPid = $row.pid; ClientAddress = $row.addr; Who = $row.who; Error = $null }
                }
                catch {
                    [pscustomobject]@{ Index = $index; Ok = $false; Error = "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
                }
            })
        $sw.Stop()
        Write-Host "    8 runspaces done in $([Math]::Round($sw.Elapsed.TotalSeconds, 2)) s"
        $results.Count | Should -Be 8
        $failed = @($results | Where-Object { -not $_.Ok })
        $failed.Count | Should -Be 0 -Because (($failed | ForEach-Object { "#$($_.Index): $($_.Error)" }) -join '; ')
        @($results.BackendPid | Sort-Object -Unique).Count | Should -Be 8 -Because 'each runspace has its own database session'
        $results.Who | Sort-Object -Unique | Should -Be $db.user
        $results.ClientAddress | Sort-Object -Unique | Should -Be $lab.network.bastionDbSideAddress

        $tunnels = @(Get-LiveTunnels | Where-Object { $_.RemoteHost -eq $db.hostName -and $_.RemotePort -eq $db.port })
        $tunnels.Count | Should -Be 1 -Because 'all runspaces of a process share the tunnel to one remote host:port'
        $tunnels[0].Id | Should -Be ($marker.Id + 1) -Because 'the first start is shared by everyone who asked meanwhile: no tunnel was started and thrown away'
        "$($tunnels[0].State)" | Should -Be 'Up'
        $tunnels[0].TotalConnections | Should -BeGreaterOrEqual 8
        @(Get-LiveTunnels).Count | Should -Be 1

        # The credential really came from the runspaces: without it, the integration cannot log in.
        { Invoke-SecureQuery 'par' 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "DatabaseAuthenticationFailed,$QueryError"
    }
}

Describe 'Queries while the bastion restarts under load' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            New-LabIntegration -Name 'soak' -Type PostgreSQL -Server 'postgresTls' | Out-Null
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'returns every result whole or fails with a clear id while sshd is killed 6 times, and the first query after the last restart works' -Skip:(Skip-When $NoNetns) {
        $rows = 200000
        $sql = "select g, md5(g::text) as h from generate_series(1, $rows) g"
        (Invoke-SecureQuery soak "select count(*) from ($sql) x" -As Scalar -ErrorAction Stop) | Should -Be $rows
        $labScript = Join-Path $PSScriptRoot 'lab/lab.sh'
        # The killer runs beside the queries, in a thread job of this process; fixed intervals between 1.5 and 4 s.
        $killer = Start-ThreadJob -ScriptBlock {
            param($LabScript)
            foreach ($pause in 1.5, 4, 2, 3.5, 1.5, 2.5) {
                Start-Sleep -Seconds $pause
                $out = & bash $LabScript restart-sshd bastion 2>&1
                if ($LASTEXITCODE -ne 0) { throw "restart-sshd failed: $out" }
            }
        } -ArgumentList $labScript
        $outcomes = [System.Collections.Generic.List[string]]::new()
        try {
            while ($killer.State -in 'NotStarted', 'Running') {
                try {
                    $n = (Invoke-SecureQuery soak $sql -ErrorAction Stop | Measure-Object).Count
                    $outcomes.Add($(if ($n -eq $rows) { 'whole' } else { "SHORT: $n rows" }))
                }
                catch {
                    $outcomes.Add($_.FullyQualifiedErrorId.Split(',')[0] + ': ' + $_.Exception.Message)
                }
            }
            Receive-Job $killer -Wait -ErrorAction Stop | Out-Null
        }
        finally { Remove-Job $killer -Force }

        $summary = $outcomes | Group-Object { ($_ -split ':')[0] } | ForEach-Object { "$($_.Count) x $($_.Name)" }
        Write-Host "    $($outcomes.Count) queries during 6 sshd restarts: $($summary -join ', ')"
        @($outcomes | Where-Object { $_ -like 'SHORT*' }).Count | Should -Be 0 -Because 'a result is whole or an error, never short'
        $unclear = @($outcomes | Where-Object { $_ -ne 'whole' -and $_ -notmatch '^(ConnectionFailed|QueryInterrupted|BastionUnreachable):' })
        $unclear.Count | Should -Be 0 -Because ($unclear -join '; ')

        # The first query after the last restart works: the tunnel came back and opens forwards again.
        (Invoke-SecureQuery soak $sql -ErrorAction Stop | Measure-Object).Count | Should -Be $rows
        $tunnels = @(Get-LiveTunnels | Where-Object { $_.RemoteHost -eq $lab.postgresTls.hostName })
        $tunnels.Count | Should -Be 1 -Because 'failing queries must not start more tunnels'
        "$($tunnels[0].State)" | Should -Be 'Up'
        $tunnels[0].Reconnects | Should -BeGreaterOrEqual 1
        $tunnels[0].LastError | Should -BeNullOrEmpty -Because 'a healthy tunnel shows no stale error'
    }
}

Describe 'Passwords appear nowhere' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $script:pgPassword = $lab.postgresTls.password
            $script:mariaPassword = $lab.mariadb.password
        }
    }
    AfterAll { Remove-LabWorkspace }

    It 'not in the workspace files, after New/Set-SecureIntegration -Credential and queries' -Skip:(Skip-When $NoLab) {
        New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null
        Set-SecureIntegration -Name 'pg' -Credential (New-LabCredential $lab.postgresTls)
        Invoke-SecureQuery pg 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
        $raw = Get-Content -Raw (Join-Path $ws 'workspace.json')
        $raw | Should -Match ([regex]::Escape($lab.postgresTls.user)) -Because 'the file read is the one that holds the integration'
        $raw.Contains($pgPassword) | Should -BeFalse
        $files = @(Get-ChildItem -Path $ws -Recurse -File -Force)
        $files.Count | Should -BeGreaterThan 1
        foreach ($file in $files) {
            [IO.File]::ReadAllText($file.FullName).Contains($pgPassword) | Should -BeFalse -Because $file.FullName
        }
    }

    It 'not in Verbose or Debug output of New-SecureIntegration and Invoke-SecureQuery (<Engine>)' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Engine = 'PostgreSQL'; Server = 'postgresTls'; UserKey = 'Username' }
        @{ Engine = 'MariaDB'; Server = 'mariadb'; UserKey = 'User ID' }
    ) {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $Server"; return }
        $name = "verbose-$Engine".ToLowerInvariant()
        $created = @(New-LabIntegration -Name $name -Type $Engine -Server $Server -Extra @{ Verbose = $true; Debug = $true } 4>&1 5>&1)
        @($created | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
        $streams = @(Invoke-SecureQuery $name 'select 1 as one' -Verbose -Debug -ErrorAction Stop 4>&1 5>&1)
        @($streams | Where-Object { $_ -isnot [System.Management.Automation.InformationalRecord] }).one | Should -Be 1
        $connecting = @($streams | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match '^Connecting to ' })
        $connecting.Count | Should -Be 1
        $connecting[0].Message | Should -Match ([regex]::Escape("$UserKey=$($db.user)"))
        $connecting[0].Message | Should -Not -Match 'Password=[^;)]'
        foreach ($record in @($created) + @($streams)) {
            "$record".Contains($db.password) | Should -BeFalse -Because "$record"
        }
        (Get-AllText $created).Contains($db.password) | Should -BeFalse
    }

    It 'not in the error record of a wrong password on <Engine>: DatabaseAuthenticationFailed' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Engine = 'PostgreSQL'; Server = 'postgresTls' }
        @{ Engine = 'MariaDB'; Server = 'mariadb' }
    ) {
        $db = $lab.$Server
        if (-not $db.available) { Set-ItResult -Skipped -Because "the lab has no $Server"; return }
        $name = "wrongpw-$Engine".ToLowerInvariant()
        New-LabIntegration -Name $name -Type $Engine -Server $Server | Out-Null
        $wrong = 'Wrong-' + [guid]::NewGuid().ToString('N')
        $err = Get-ErrorRecord { Invoke-SecureQuery $name 'select 1' -Credential (New-LabCredential $db $wrong) -Verbose -ErrorAction Stop 4>$null }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        $err.Exception.Message | Should -Match ([regex]::Escape($db.user))
        $texts = @(
            $err.Exception.Message
            $err.ToString()
            ($err | Out-String -Width 4096)
            ($err | Format-List * -Force | Out-String -Width 4096)
            $err.Exception.ToString()
            "$($err.ErrorDetails)"
            "$($err.TargetObject)"
        )
        foreach ($text in $texts) {
            $text.Contains($wrong) | Should -BeFalse -Because 'the wrong password must not be echoed'
            $text.Contains($db.password) | Should -BeFalse -Because 'the real password must not appear'
        }
    }

    It 'not in Get-SecureIntegration | Format-List * nor its JSON, nor in Test-SecureConnection' -Skip:(Skip-When $NoLab) {
        if (-not (Get-SecureIntegration -Name 'pg' -ErrorAction SilentlyContinue)) { New-LabIntegration -Name 'pg' -Type PostgreSQL -Server 'postgresTls' | Out-Null }
        $integrations = @(Get-SecureIntegration)
        $integrations.Count | Should -BeGreaterThan 0
        $list = $integrations | Format-List * | Out-String -Width 4096
        $json = $integrations | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue
        $list | Should -Match ([regex]::Escape($lab.postgresTls.user)) -Because 'the output shows the integration'
        $json | Should -Match ([regex]::Escape($lab.postgresTls.user))
        foreach ($password in $pgPassword, $mariaPassword) {
            $list.Contains($password) | Should -BeFalse
            $json.Contains($password) | Should -BeFalse
        }
        $report = Test-SecureConnection pg -ErrorAction Stop
        (Get-AllText $report).Contains($pgPassword) | Should -BeFalse
    }
}

Describe 'No password on disk' -Tag Lab {
    BeforeAll {
        if ($lab) { Initialize-LabWorkspace }
    }
    AfterAll { if ($lab) { Remove-LabWorkspace } }

    It 'not in any file written meanwhile under the workspace, the temp folder or the home folder (-Credential, -ConnectionString, both engines)' -Skip:(Skip-When $NoMariaDb) {
        $since = [DateTime]::Now.AddSeconds(-2)
        $wrong = 'Wrong-' + [guid]::NewGuid().ToString('N')
        $secrets = @($lab.postgresTls.password, $lab.mariadb.password, $wrong)

        foreach ($case in @(@{ Name = 'disk-pg'; Type = 'PostgreSQL'; Server = 'postgresTls' }, @{ Name = 'disk-maria'; Type = 'MariaDB'; Server = 'mariadb' })) {
            $db = $lab.($case.Server)
            New-LabIntegration -Name $case.Name -Type $case.Type -Server $case.Server | Out-Null
            Set-SecureIntegration -Name $case.Name -Credential (New-LabCredential $db)
            Invoke-SecureQuery $case.Name 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
            Test-SecureConnection $case.Name -ErrorAction Stop | Out-Null
            { Invoke-SecureQuery $case.Name 'select 1' -Credential (New-LabCredential $db $wrong) -ErrorAction Stop } |
                Should -Throw -ErrorId "DatabaseAuthenticationFailed,$QueryError"

            $tunnel = @(Get-SshTunnel | Where-Object { $_.RemoteHost -eq $db.hostName -and $_.RemotePort -eq $db.port -and "$($_.State)" -eq 'Up' })[0]
            $userKey = if ($case.Type -eq 'PostgreSQL') { 'Username' } else { 'User ID' }
            $cs = "Server=$($db.hostName);Port=$($db.port);Database=$($db.database);$userKey=$($db.user);Password=$($db.password)"
            Invoke-SecureQuery -Type $case.Type -ConnectionString $cs -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Query 'select count(*) from people' -As Scalar -ErrorAction Stop |
                Should -Be 5
        }

        # Every file written since the test began, except the lab's own state (its endpoints.json holds the passwords
        # by design) and the test run's results.
        $exclude = @((Split-Path $lab.endpointsPath), (Join-Path $PSScriptRoot '../output')) | ForEach-Object { [IO.Path]::GetFullPath($_) }
        $roots = @($ws, [IO.Path]::GetTempPath(), $HOME) | Where-Object { $_ -and (Test-Path $_) } | ForEach-Object { [IO.Path]::GetFullPath($_) } | Sort-Object -Unique
        $files = @(foreach ($root in $roots) {
                & find $root -xdev -type f -newermt ($since.ToString('yyyy-MM-dd HH:mm:ss')) -size -64M 2>$null
            }) | Sort-Object -Unique | Where-Object { $f = $_; -not ($exclude | Where-Object { $f.StartsWith($_ + '/') }) }
        @($files | Where-Object { $_.StartsWith($ws) }).Count | Should -BeGreaterThan 0 -Because 'the search must see the workspace files this test wrote'
        # Bytes compared as Latin-1 text (one char per byte, ordinal): the UTF-8 and the UTF-16 form of each password.
        $latin1 = [Text.Encoding]::Latin1
        $needles = foreach ($secret in $secrets) {
            $latin1.GetString([Text.Encoding]::UTF8.GetBytes($secret)); $latin1.GetString([Text.Encoding]::Unicode.GetBytes($secret))
        }
        $found = foreach ($file in $files) {
            try { $text = $latin1.GetString([IO.File]::ReadAllBytes($file)) } catch { continue }
            foreach ($needle in $needles) {
                if ($text.IndexOf($needle, [StringComparison]::Ordinal) -ge 0) { $file; break }
            }
        }
        Write-Host "    searched $(@($files).Count) files written during the test"
        @($found) | Should -BeNullOrEmpty -Because 'no password may be written to a file'
    }
}

Describe 'Credentials from a vault: -CredentialSecret with a stand-in for SecretManagement' -Tag Lab {
    BeforeAll {
        if ($lab) { Initialize-LabWorkspace }
        # TEST DOUBLE of Microsoft.PowerShell.SecretManagement's Get-Secret (that module is not served here): secrets in
        # memory, "not found" as a non-terminating error, as the real command reports it.
        function Import-StandInVault { New-Module -Name StandInSecretVault -ScriptBlock {
            $secrets = @{}
            function Set-StandInSecret([string] $Name, $Secret) { $secrets[$Name] = $Secret }
            function Get-Secret {
                [CmdletBinding()]
                param([Parameter(Mandatory, Position = 0)] [string] $Name, [string] $Vault, [switch] $AsPlainText)
                $script:reads++
                if (-not $secrets.ContainsKey($Name)) {
                    Write-Error -Message "Get-Secret : The secret $Name was not found." -Category ObjectNotFound -ErrorId 'GetSecretNotFound'
                    return
                }
                $secrets[$Name]
            }
            function Get-StandInReadCount { [int]$script:reads }
            Export-ModuleMember -Function Get-Secret, Set-StandInSecret, Get-StandInReadCount
        } | Import-Module -Global }
        Import-StandInVault
        function New-VaultIntegration([string] $Name, [string] $Secret) {
            $db = $lab.postgresTls
            New-SecureIntegration -Name $Name -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database `
                -CredentialSecret $Secret -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath @ssh -ErrorAction Stop
        }
    }
    AfterAll {
        Remove-Module StandInSecretVault -ErrorAction SilentlyContinue
        if ($lab) { Remove-LabWorkspace }
    }

    It 'reads the PSCredential from Get-Secret at each query; the workspace names the secret, never the password' -Skip:(Skip-When $NoLab) {
        Set-StandInSecret -Name 'lab-pg' -Secret (New-LabCredential $lab.postgresTls)
        New-VaultIntegration -Name 'vault-pg' -Secret 'lab-pg' | Out-Null
        $reads = Get-StandInReadCount
        Invoke-SecureQuery 'vault-pg' 'select count(*) from people' -As Scalar -ErrorAction Stop | Should -Be 5
        Get-StandInReadCount | Should -BeGreaterThan $reads
        $raw = Get-Content -Raw (Join-Path $ws 'workspace.json')
        $raw | Should -Match 'lab-pg'
        $raw.Contains($lab.postgresTls.password) | Should -BeFalse

        # Read again at the next query: a changed secret takes effect at once.
        Set-StandInSecret -Name 'lab-pg' -Secret (New-LabCredential $lab.postgresTls ('Wrong-' + [guid]::NewGuid().ToString('N')))
        { Invoke-SecureQuery 'vault-pg' 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "DatabaseAuthenticationFailed,$QueryError"
    }

    It 'fails with CredentialNotFound (<Case>), naming the secret and the integration' -Skip:(Skip-When $NoLab) -TestCases @(
        @{ Case = 'the vault has no such secret'; Secret = 'absent'; Value = $null; Category = 'ObjectNotFound' }
        @{ Case = 'the secret is plain text, not a credential'; Secret = 'plain'; Value = 'just-a-string'; Category = 'InvalidData' }
    ) {
        if ($null -ne $Value) { Set-StandInSecret -Name $Secret -Secret $Value }
        $name = "vault-$Secret"
        New-VaultIntegration -Name $name -Secret $Secret | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery $name 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "CredentialNotFound,$QueryError"
        "$($err.CategoryInfo.Category)" | Should -Be $Category
        $err.Exception.Message | Should -Match ([regex]::Escape("'$Secret'"))
        $err.Exception.Message | Should -Match ([regex]::Escape("'$name'"))
    }

    It 'fails with CredentialNotFound when Get-Secret is not available, saying to install SecretManagement or pass -Credential' -Skip:(Skip-When $NoLab) {
        New-VaultIntegration -Name 'vault-nomodule' -Secret 'lab-pg' | Out-Null
        Remove-Module StandInSecretVault
        try {
            $err = Get-ErrorRecord { Invoke-SecureQuery 'vault-nomodule' 'select 1' -ErrorAction Stop }
        }
        finally {
            # Back for the tests after this one, whatever the order.
            Import-StandInVault
        }
        $err.FullyQualifiedErrorId | Should -Be "CredentialNotFound,$QueryError"
        "$($err.CategoryInfo.Category)" | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match 'SecretManagement'
        $err.Exception.Message | Should -Match '-Credential'
    }
}

Describe 'Integrations that do not exist' {
    BeforeAll { $script:ws = New-TestWorkspace }
    AfterAll { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'Invoke-SecureQuery and Test-SecureConnection report IntegrationNotFound' {
        { Invoke-SecureQuery 'missing' 'select 1' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$QueryError"
        { Test-SecureConnection 'missing' -ErrorAction Stop } | Should -Throw -ErrorId 'IntegrationNotFound,SecureConnect.Commands.TestSecureConnectionCommand'
    }
}

Describe 'SQL Server (real server)' {
    BeforeAll {
        $script:sql = $null
        # Skipped with this reason unless a real server is configured.
        $script:NoSqlServer = if (-not $env:SECURECONNECT_TEST_SQLSERVER) {
            'SECURECONNECT_TEST_SQLSERVER is not set (a SQL Server connection string: Server=host[,port];User Id=...;Password=...;Database=...)'
        }
        if ($env:SECURECONNECT_TEST_SQLSERVER) {
            $b = [System.Data.Common.DbConnectionStringBuilder]::new()
            # (Assigning .ConnectionString in PowerShell would add a key named ConnectionString to this dictionary.)
            $b.set_ConnectionString($env:SECURECONNECT_TEST_SQLSERVER)
            function Get-Key([string[]] $Names) { foreach ($n in $Names) { if ($b.ContainsKey($n)) { return [string]$b[$n] } } }
            $server = Get-Key 'Server', 'Data Source', 'Address', 'Addr'
            $server = $server -replace '^tcp:', ''
            $hostName, $port = $server -split ',', 2
            $script:sql = @{
                HostName = $hostName.Trim()
                Port     = if ($port) { [int]$port.Trim() } else { 0 }
                User     = Get-Key 'User Id', 'UID', 'User'
                Password = Get-Key 'Password', 'PWD'
                Database = Get-Key 'Database', 'Initial Catalog'
            }
            $script:ws = New-TestWorkspace
        }
    }
    AfterAll { if ($script:sql) { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue } }

    It 'Test-SecureConnection with Required reports an encrypted session, and a query returns rows' {
        if ($NoSqlServer) { Set-ItResult -Skipped -Because $NoSqlServer; return }
        $params = @{
            Name       = 'mssql'
            Type       = 'SqlServer'
            HostName   = $sql.HostName
            Credential = [pscredential]::new($sql.User, (ConvertTo-SecureString $sql.Password -AsPlainText -Force))
            SslMode    = 'Required'
        }
        if ($sql.Port) { $params.Port = $sql.Port }
        if ($sql.Database) { $params.Database = $sql.Database }
        New-SecureIntegration @params -ErrorAction Stop | Out-Null
        $r = Test-SecureConnection 'mssql' -ErrorAction Stop
        "$($r.Type)" | Should -Be 'SqlServer'
        "$($r.SslMode)" | Should -Be 'Required'
        $r.Via | Should -Be 'Direct'
        $r.Encrypted | Should -BeTrue
        $r.ServerVersion | Should -Match 'SQL Server'
        $rows = @(Invoke-SecureQuery 'mssql' 'select name from sys.databases order by database_id' -ErrorAction Stop)
        $rows.Count | Should -BeGreaterThan 0
        $rows.name | Should -Contain 'master'
        (Invoke-SecureQuery 'mssql' 'select @a + 1 as v' -Parameters @{ a = 41 } -ErrorAction Stop).v | Should -Be 42
    }

    It 'refuses a wrong password with DatabaseAuthenticationFailed, without the password in the error' {
        if ($NoSqlServer) { Set-ItResult -Skipped -Because $NoSqlServer; return }
        $wrong = 'Wrong-' + [guid]::NewGuid().ToString('N')
        $params = @{ Type = 'SqlServer'; HostName = $sql.HostName; SslMode = 'Required'; Credential = [pscredential]::new($sql.User, (ConvertTo-SecureString $wrong -AsPlainText -Force)) }
        if ($sql.Port) { $params.Port = $sql.Port }
        $err = Get-ErrorRecord { Invoke-SecureQuery @params -Query 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "DatabaseAuthenticationFailed,$QueryError"
        ($err | Format-List * -Force | Out-String -Width 4096).Contains($wrong) | Should -BeFalse
    }
}

Describe 'Ad hoc -ConnectionString through a tunnel' -Tag Lab {
    BeforeAll {
        if ($lab) {
            Initialize-LabWorkspace
            $db = $lab.postgresTls
            $script:tunnel = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort $lab.bastion.port -User $lab.bastion.user -RemoteHost $db.hostName -RemotePort $db.port
            $script:cs = "Host=$($db.hostName);Port=$($db.port);Database=$($db.database);Username=$($db.user);Password=$($db.password)"
        }
    }
    AfterAll { if ($lab) { Remove-LabWorkspace } }

    It 'connects with the connection string, VerifyFull against the real host name through the tunnel' -Skip:(Skip-When $NoLab) {
        $rows = Invoke-SecureQuery -Type PostgreSQL -ConnectionString $cs -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Query 'select count(*) as n from people' -ErrorAction Stop
        $rows.n | Should -Be 5
        $report = Test-SecureConnection -Type PostgreSQL -ConnectionString $cs -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -ErrorAction Stop
        $report.HostNameVerified | Should -BeTrue
        $report.Via | Should -Match '^SSH tunnel #'
    }

    It 'warns when the connection string holds a password, and not when the login comes from -Credential' -Skip:(Skip-When $NoLab) {
        $db = $lab.postgresTls
        $warnings = @(Invoke-SecureQuery -Type PostgreSQL -ConnectionString $cs -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Query 'select 1 as one' -ErrorAction Stop 3>&1 |
                Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match '-Credential'
        $warnings[0].Message | Should -Not -Match ([regex]::Escape($db.password))
        $noPassword = "Host=$($db.hostName);Port=$($db.port);Database=$($db.database)"
        $quiet = @(Invoke-SecureQuery -Type PostgreSQL -ConnectionString $noPassword -Credential (New-LabCredential $db) -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Query 'select 1 as one' -ErrorAction Stop 3>&1 |
                Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $quiet.Count | Should -Be 0
    }

    It 'refuses a connection-string setting that is not on the engine''s allow-list (InvalidOption), before connecting' -Skip:(Skip-When $NoLab) {
        $err = Get-ErrorRecord { Invoke-SecureQuery -Type PostgreSQL -ConnectionString "$cs;Target Session Attributes=any" -Tunnel $tunnel -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Query 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'InvalidOption,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match 'Target Session Attributes'
    }

    It 'refuses a connection string that would weaken the policy (SslPolicyViolation), before connecting' -Skip:(Skip-When $NoLab) {
        { Invoke-SecureQuery -Type PostgreSQL -ConnectionString "$cs;SSL Mode=Disable" -Tunnel $tunnel -SslMode Required -Query 'select 1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SslPolicyViolation,SecureConnect.Commands.InvokeSecureQueryCommand'
        { Invoke-SecureQuery -Type PostgreSQL -ConnectionString "$cs;Trust Server Certificate=true" -Tunnel $tunnel -SslMode VerifyFull -Query 'select 1' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SslPolicyViolation,SecureConnect.Commands.InvokeSecureQueryCommand'
    }
}
