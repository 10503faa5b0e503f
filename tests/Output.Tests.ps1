# What the module's output looks like: table views that fit an 80-column console with the important columns first,
# tunnels named after the integration that started them, rows that say which integration they came from
# (-IncludeSource), one .NET type per SQL type across engines (dates as DateTime; times and intervals as ISO-8601
# text, also in JSON), enums as names in
# JSON, and arrays and hashtables shown as their contents.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $lab = Get-LabEndpoints
    $NoLab = if (-not $lab) { 'the lab is not running (build.ps1 -Task Lab)' }
    elseif (-not $lab.bastion.available) { "the lab has no bastion sshd: $($lab.bastion.reason)" }
    elseif (-not $lab.postgresTls.available) { "the lab has no PostgreSQL: $($lab.postgresTls.reason)" }
    else { $null }
    $NoMariaDb = if ($NoLab) { $NoLab } elseif (-not $lab.mariadb.available) { "the lab has no MariaDB: $($lab.mariadb.reason)" } else { $null }
    $NoClickHouse = if ($NoLab) { $NoLab } elseif (-not $lab.clickhouse.available) { "the lab has no ClickHouse: $($lab.clickhouse.reason)" } else { $null }
    $NoRedis = if ($NoLab) { $NoLab } elseif (-not $lab.redis.available) { "the lab has no Redis: $($lab.redis.reason)" } else { $null }

    # The same date and time on each engine the lab runs.
    $DateEngines = @(
        @{ Engine = 'PostgreSQL'; Integration = 'out-pg'; Sql = "select date '2024-02-29' as d, time '13:14:15.5' as t" }
        @{ Engine = 'MariaDB'; Integration = 'out-maria'; Sql = "select date '2024-02-29' as d, time '13:14:15.5' as t" }
        @{ Engine = 'ClickHouse'; Integration = 'out-ch'; Sql = "select toDate('2024-02-29') as d" }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1
    $script:lab = Get-LabEndpoints

    function Get-TableText($InputObject) {
        # The default table of the objects, as an 80-column console shows it: the non-empty lines.
        @(($InputObject | Format-Table | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Trim() })
    }

    function Assert-Table([object[]] $Objects, [string[]] $Columns) {
        # Every line fits 80 columns; the header names $Columns first, in order, each whole (not cut nor wrapped).
        $lines = Get-TableText $Objects
        foreach ($line in $lines) { $line.Length | Should -BeLessOrEqual 80 -Because "'$line' must fit 80 columns" }
        $header = @($lines[0].Trim() -split '\s+')
        $header[0..($Columns.Count - 1)] | Should -Be $Columns
        # One header line, then the dashes: a header squeezed below its label's width wraps onto more lines.
        $lines[1].Trim() | Should -Match '^[-\s]+$'
        $lines
    }

    function New-LabOutputIntegration([string] $Name, [string] $Type, [string] $Server) {
        $db = $lab.$Server
        New-SecureIntegration -Name $Name -Type $Type -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
            -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh -ErrorAction Stop
    }
}

AfterAll {
    try { if (Get-Command Get-SshTunnel -ErrorAction SilentlyContinue) { Get-SshTunnel | Stop-SshTunnel } }
    finally { if ($lab) { Set-Content -Path $lab.bastion.authorizedKeysPath -Value @() } }
}

Describe 'Table views at 80 columns' {
    BeforeAll {
        $script:viewWs = New-TestWorkspace
        $fp = 'SHA256:' + ('A' * 43)
        $script:Samples = [ordered]@{
            'SecureConnect.WorkspaceSshKey'    = @{ Columns = 'Algorithm', 'Fingerprint', 'Encrypted'; Make = { New-WorkspaceSshKey } }
            'SecureConnect.SshHostKey'         = @{ Columns = 'Host', 'Algorithm', 'Fingerprint'; Make = { [SecureConnect.SshHostKey]::new('bastion.internal.example.com', 2222, 'ecdsa-sha2-nistp256', $fp, 'ecdsa-sha2-nistp256 AAAA') } }
            'SecureConnect.SshKnownHost'       = @{ Columns = 'Line', 'Hosts', 'Algorithm', 'Fingerprint'; Make = { [SecureConnect.SshKnownHost]::new('bastion.internal.example.com', 22, 'bastion.internal.example.com,10.0.0.7', $false, '@revoked', 'ssh-ed25519', $fp, 'ssh-ed25519 AAAA', 12, '/tmp/known_hosts') } }
            'SecureConnect.SshTunnel'          = @{ Columns = 'Id', 'Name', 'State', 'Local', 'Remote', 'Bastion'; Make = { [SecureConnect.SshTunnel]::new(12, $null, '127.0.0.1', 54321, 'warehouse-db.internal.example.com', 5432, 'bastion.internal.example.com', 22, 'operations', [string[]]@('edge@jump.example.com:2200'), 'Strict', [timespan]::FromSeconds(30), [timespan]::FromSeconds(15), $true, [string[]]@()) } }
            'SecureConnect.SshTunnelTestResult' = @{ Columns = 'Id', 'Name', 'Remote', 'Forwarded', 'Ms', 'Reason'; Make = { [SecureConnect.SshTunnelTestResult]::new(12, 'warehouse tunnel name', 54321, 'warehouse-db.internal.example.com', 5432, 'Up', $false, 12.345, 'The bastion refused to forward the connection (administratively prohibited).') } }
            'SecureConnect.Integration'        = @{ Columns = 'Name', 'Type', 'SslMode', 'Endpoint', 'Via'; Make = { New-SecureIntegration -Name 'warehouse-eu-west-1-replica' -Type PostgreSQL -HostName 'warehouse-db.internal.example.com' -Database analytics -SslMode VerifyFull -SshBastion 'bastion.internal.example.com' -SshUser operations } }
            'SecureConnect.SslPolicySetting'   = @{ Columns = 'Scope', 'Integration', 'Mode', 'Effective', 'Source', 'BelowMinimum'; Make = { [SecureConnect.SslPolicySetting]::new('Integration', 'warehouse-eu-west-1-replica', 'Preferred', 'VerifyFull', 'Integration', $true) } }
            'SecureConnect.ExportResult'       = @{ Columns = 'Integration', 'Format', 'Rows', 'Bytes', 'Seconds', 'Path'; Make = { [SecureConnect.ExportResult]::new('warehouse-eu-west-1-replica', '/var/lib/exports/warehouse/2024/people.csv', 'JsonLines', 123456789, 98765432100, 1234.5, $true) } }
            'SecureConnect.EgressAddress'      = @{ Columns = 'Cidr', 'Family', 'Source', 'Description'; Make = { Add-EgressAddress -Address '2001:db8:1234:5678::/64' -Description 'the office, its IPv6 range from the provider' } }
            'SecureConnect.EgressTestResult'   = @{ Columns = 'Integration', 'ObservedAddress', 'Covered', 'CoveredBy', 'Via'; Make = { [SecureConnect.EgressTestResult]::new('warehouse-eu-west-1-replica', '203.0.113.250', 'operations@bastion.internal.example.com:22', $true, '203.0.113.0/24', 'office', 3, 'covered') } }
        }
    }
    AfterAll { Remove-Item -Recurse -Force $viewWs -ErrorAction SilentlyContinue }

    It 'has a table view for every output type, and this test renders each of them' {
        $viewed = ([xml](Get-Content -Raw (Join-Path (Split-Path (Get-Module SecureConnect).Path) 'SecureConnect.format.ps1xml'))).Configuration.ViewDefinitions.View |
            Where-Object { $_.TableControl } | ForEach-Object { $_.ViewSelectedBy.TypeName }
        $viewed | Where-Object { $_ -ne 'SecureConnect.ConnectionReport' } | Sort-Object | Should -Be ($Samples.Keys | Sort-Object)
    }

    It 'renders <_> in 80 columns with its key columns first' -ForEach @(
        'SecureConnect.WorkspaceSshKey', 'SecureConnect.SshHostKey', 'SecureConnect.SshKnownHost', 'SecureConnect.SshTunnel',
        'SecureConnect.SshTunnelTestResult', 'SecureConnect.Integration', 'SecureConnect.SslPolicySetting',
        'SecureConnect.ExportResult', 'SecureConnect.EgressAddress', 'SecureConnect.EgressTestResult'
    ) {
        $sample = $Samples[$_]
        $object = & $sample.Make
        $object.PSObject.TypeNames[0] | Should -Be $_
        Assert-Table @($object) $sample.Columns | Out-Null
    }

    It 'never cuts a fingerprint' {
        $key = [SecureConnect.SshHostKey]::new('bastion.internal.example.com', 2222, 'ssh-ed25519', 'SHA256:LGnjrklNgyuXZ3vjSR0nskeC3+pYN+mTj3B8DwfX+2c', 'ssh-ed25519 AAAA')
        (Get-TableText $key) -join "`n" | Should -Match ([regex]::Escape('SHA256:LGnjrklNgyuXZ3vjSR0nskeC3+pYN+mTj3B8DwfX+2c'))
    }
}

Describe 'Through the lab: reports, tunnels named after integrations, -IncludeSource, and types' -Tag Lab -Skip:(Skip-When $NoLab) {
    BeforeAll {
        Initialize-LabWorkspace
        New-LabOutputIntegration -Name 'out-pg' -Type PostgreSQL -Server postgresTls | Out-Null
        if ($lab.mariadb.available) { New-LabOutputIntegration -Name 'out-maria' -Type MariaDB -Server mariadb | Out-Null }
        if ($lab.clickhouse.available) { New-LabOutputIntegration -Name 'out-ch' -Type ClickHouse -Server clickhouse | Out-Null }
    }
    AfterAll { Remove-LabWorkspace }

    Context 'the connection report and the tunnel at 80 columns' {
        It 'shows Integration, Encrypted, TLS, Verified and Via first, and says the session was fully verified' {
            $report = Test-SecureConnection out-pg -ErrorAction Stop
            $lines = Assert-Table @($report) @('Integration', 'Encrypted', 'TLS', 'Verified', 'Via')
            $lines[2] | Should -Match '^out-pg\s+True\s+TLSv1\.[23]\s+Full\s'
        }

        It 'shows Id, Name, State, Local, Remote and Bastion first, the Name being the integration' {
            Invoke-SecureQuery out-pg 'select 1' -As Scalar -ErrorAction Stop | Out-Null
            $tunnel = @(Get-SshTunnel | Where-Object { $_.RemotePort -eq [int]$lab.postgresTls.port -and "$($_.State)" -eq 'Up' })[0]
            $lines = Assert-Table @($tunnel) @('Id', 'Name', 'State', 'Local', 'Remote', 'Bastion')
            $lines[2] | Should -Match "^\s*$($tunnel.Id)\s+out-pg\s+Up\s+127\.0\.0\.1:$($tunnel.LocalPort)\s"
        }
    }

    Context 'tunnels started by a query' {
        It 'are named after the integration, so Get-SshTunnel shows which integration uses which tunnel' {
            Invoke-SecureQuery out-pg 'select 1' -As Scalar -ErrorAction Stop | Should -Be 1
            $tunnel = @(Get-SshTunnel -Name 'out-pg')
            $tunnel | Should -HaveCount 1
            $tunnel[0].RemoteHost | Should -Be $lab.postgresTls.hostName
            $tunnel[0].RemotePort | Should -Be ([int]$lab.postgresTls.port)
        }

        It 'carry the names of every integration that shares them' {
            $db = $lab.postgresTls
            New-SecureIntegration -Name 'out-pg-again' -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database $db.database `
                -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh | Out-Null
            Invoke-SecureQuery out-pg 'select 1' -As Scalar -ErrorAction Stop | Out-Null
            Invoke-SecureQuery out-pg-again 'select 1' -As Scalar -ErrorAction Stop | Should -Be 1
            $tunnel = @(Get-SshTunnel -Name 'out-pg-again')
            $tunnel | Should -HaveCount 1
            $tunnel[0].Names | Should -Contain 'out-pg'
            $tunnel[0].Names | Should -Contain 'out-pg-again'
        }

        It 'stay unnamed, and the query works, when another tunnel holds the name' -Skip:(Skip-When $NoRedis) {
            $db = $lab.postgresTls
            New-SecureIntegration -Name 'out-taken' -Type PostgreSQL -HostName $db.hostName -Port ([int]$db.port) -Database 'postgres' `
                -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -Credential (New-LabCredential $db) @ssh | Out-Null
            Get-SshTunnel | Where-Object RemotePort -eq ([int]$db.port) | Stop-SshTunnel
            $other = Start-SshTunnel -Bastion $lab.bastion.host -BastionPort ([int]$lab.bastion.port) -User $lab.bastion.user -RemoteHost $lab.redis.hostName -RemotePort ([int]$lab.redis.port) -Name 'out-taken'

            Invoke-SecureQuery out-taken 'select 1' -As Scalar -ErrorAction Stop | Should -Be 1

            @(Get-SshTunnel -Name 'out-taken').Id | Should -Be @($other.Id)
            $mine = @(Get-SshTunnel | Where-Object { $_.RemotePort -eq [int]$db.port -and "$($_.State)" -eq 'Up' })
            $mine | Should -HaveCount 1
            $mine[0].Names | Should -Not -Contain 'out-taken'
        }
    }

    Context '-IncludeSource' {
        It 'adds the integration each row came from, for integrations piped in' -Skip:(Skip-When $NoMariaDb) {
            $rows = @(Get-SecureIntegration -Name 'out-pg', 'out-maria' | Invoke-SecureQuery -Query 'select 1 as n union all select 2' -IncludeSource -ErrorAction Stop)
            $rows | Should -HaveCount 4
            $rows[0].PSObject.Properties.Name | Should -Be @('n', 'SecureConnectSource')
            ($rows | Group-Object SecureConnectSource | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) | Should -Be @('out-maria=2', 'out-pg=2')
            ($rows | Where-Object SecureConnectSource -eq 'out-pg').n | Should -Be @(1, 2)
        }

        It 'adds nothing without the switch' {
            $row = Invoke-SecureQuery out-pg 'select 1 as n' -ErrorAction Stop
            $row.PSObject.Properties.Name | Should -Be @('n')
        }

        It 'keeps a column that has the name already, and names the source SecureConnectSource1' {
            $row = Invoke-SecureQuery out-pg "select 'mine' as ""SecureConnectSource"", 2 as n" -IncludeSource -ErrorAction Stop
            $row.PSObject.Properties.Name | Should -Be @('SecureConnectSource', 'n', 'SecureConnectSource1')
            $row.SecureConnectSource | Should -Be 'mine'
            $row.SecureConnectSource1 | Should -Be 'out-pg'
        }

        It 'is refused with -As <_>, before connecting (ParameterNotApplicable)' -ForEach @('Scalar', 'DataTable', 'DataRow', 'NonQuery') {
            { Invoke-SecureQuery out-pg 'select 1' -As $_ -IncludeSource -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterNotApplicable,SecureConnect.Commands.InvokeSecureQueryCommand'
        }

        It 'is exported to CSV with the rows' -Skip:(Skip-When $NoMariaDb) {
            $csv = Get-SecureIntegration -Name 'out-pg', 'out-maria' | Invoke-SecureQuery -Query 'select 7 as n' -IncludeSource | ConvertTo-Csv
            $csv[0] | Should -Be '"n","SecureConnectSource"'
            $csv[1..2] | Sort-Object | Should -Be @('"7","out-maria"', '"7","out-pg"')
        }
    }

    Context 'one type per SQL type' {
        It 'a SQL date from <Engine> is a DateTime at midnight of kind Unspecified, and a date in JSON' -ForEach $DateEngines {
            if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
            if ($Engine -eq 'ClickHouse' -and -not $lab.clickhouse.available) { Set-ItResult -Skipped -Because 'the lab has no ClickHouse'; return }
            $row = Invoke-SecureQuery $Integration $Sql -ErrorAction Stop
            $row.d | Should -BeOfType ([datetime])
            $row.d | Should -Be ([datetime]::new(2024, 2, 29))
            $row.d.Kind | Should -Be 'Unspecified'
            $row.d.TimeOfDay | Should -Be ([timespan]::Zero)
            ($row | Select-Object d | ConvertTo-Json -Compress) | Should -Be '{"d":"2024-02-29T00:00:00"}'
        }

        It 'a SQL time from <Engine> is ISO-8601 text (hh:mm:ss and the fraction it has), also in JSON' -ForEach ($DateEngines | Where-Object Engine -ne 'ClickHouse') {
            if ($Engine -eq 'MariaDB' -and -not $lab.mariadb.available) { Set-ItResult -Skipped -Because 'the lab has no MariaDB'; return }
            $row = Invoke-SecureQuery $Integration $Sql -ErrorAction Stop
            $row.t | Should -BeOfType ([string])
            $row.t | Should -BeExactly '13:14:15.5'
            ($row | Select-Object t | ConvertTo-Json -Compress) | Should -BeExactly '{"t":"13:14:15.5"}'
            [timespan]$row.t | Should -Be ([timespan]::new(0, 13, 14, 15, 500)) -Because 'the text casts back to a TimeSpan'
        }

        It 'a PostgreSQL interval is an ISO-8601 duration with the fields it has, months too, also in JSON, -As Scalar and -As DataTable' {
            $sql = "select interval '1 year 2 months 3 days 04:05:06.5' as full_span, interval '26 hours' as hours, interval '-1 day' as back, " +
                "interval '1 month -1 day' as mixed, interval '0' as zero, interval '-1:30' as neg_time"
            $row = Invoke-SecureQuery out-pg $sql -ErrorAction Stop
            $row.full_span | Should -BeExactly 'P1Y2M3DT4H5M6.5S'
            $row.hours | Should -BeExactly 'PT26H' -Because 'PostgreSQL keeps 26 hours apart from a day'
            $row.back | Should -BeExactly '-P1D'
            $row.mixed | Should -BeExactly 'P1M-1D' -Because 'fields of different signs carry their own, as PostgreSQL writes them'
            $row.zero | Should -BeExactly 'PT0S'
            $row.neg_time | Should -BeExactly '-PT1H30M'
            ($row | Select-Object full_span | ConvertTo-Json -Compress) | Should -BeExactly '{"full_span":"P1Y2M3DT4H5M6.5S"}'
            [System.Xml.XmlConvert]::ToTimeSpan($row.back) | Should -Be ([timespan]::FromDays(-1)) -Because 'a duration without months reads back with XmlConvert'
            Invoke-SecureQuery out-pg "select interval '1 month'" -As Scalar -ErrorAction Stop | Should -BeExactly 'P1M'
            $table = Invoke-SecureQuery out-pg "select interval '1 month 2 hours' as i, time '01:02:03' as t" -As DataTable -ErrorAction Stop
            $table.Columns['i'].DataType | Should -Be ([string])
            $table.Columns['t'].DataType | Should -Be ([string])
            $table.Rows[0].i | Should -BeExactly 'P1MT2H'
            $table.Rows[0].t | Should -BeExactly '01:02:03'
        }

        It 'a PostgreSQL time with time zone is text with its offset, and a time -As Scalar is text too' {
            $row = Invoke-SecureQuery out-pg "select timetz '13:14:15+02' as tz, timetz '08:00:00.25-05:30' as west" -ErrorAction Stop
            $row.tz | Should -BeExactly '13:14:15+02:00'
            $row.west | Should -BeExactly '08:00:00.25-05:30'
            Invoke-SecureQuery out-pg "select time '23:59:59.999999'" -As Scalar -ErrorAction Stop | Should -BeExactly '23:59:59.999999'
        }

        It 'a MariaDB TIME beyond a day, or negative, is an ISO-8601 duration in hours, as MariaDB counts them' -Skip:(Skip-When $NoMariaDb) {
            $row = Invoke-SecureQuery out-maria "select cast('838:59:59' as time) as longest, cast('-01:30:00' as time) as back, cast('23:59:59' as time) as late" -ErrorAction Stop
            $row.longest | Should -BeExactly 'PT838H59M59S'
            $row.back | Should -BeExactly '-PT1H30M'
            $row.late | Should -BeExactly '23:59:59'
            Invoke-SecureQuery out-maria "select cast('25:00:00' as time)" -As Scalar -ErrorAction Stop | Should -BeExactly 'PT25H'
        }

        It 'PostgreSQL date, time and interval arrays are DateTime[] and string[], and -As Scalar and DataTable give the same types' {
            $row = Invoke-SecureQuery out-pg "select array[date '2024-02-29', date '2024-03-01'] as ds, array[time '01:02:03'] as ts, array[interval '1 month', interval '2 days'] as spans" -ErrorAction Stop
            , $row.ds | Should -BeOfType ([datetime[]])
            $row.ds | Should -Be @([datetime]::new(2024, 2, 29), [datetime]::new(2024, 3, 1))
            , $row.ts | Should -BeOfType ([string[]])
            $row.ts | Should -BeExactly @('01:02:03')
            $row.spans | Should -BeExactly @('P1M', 'P2D')
            Invoke-SecureQuery out-pg "select date '2024-02-29'" -As Scalar -ErrorAction Stop | Should -BeOfType ([datetime])
            $table = Invoke-SecureQuery out-pg "select date '2024-02-29' as d, time '01:02:03' as t" -As DataTable -ErrorAction Stop
            $table.Columns['d'].DataType | Should -Be ([datetime])
            $table.Rows[0].d | Should -Be ([datetime]::new(2024, 2, 29))
        }
    }
}

Describe 'Enums as names in JSON' {
    BeforeAll { $script:enumWs = New-TestWorkspace }
    AfterAll { Remove-Item -Recurse -Force $enumWs -ErrorAction SilentlyContinue }

    It 'an integration writes its Type and SslMode as names' {
        $json = New-SecureIntegration -Name 'enum-json' -Type MariaDB -HostName 'db.example' -SslMode VerifyCA | ConvertTo-Json -Compress
        $json | Should -Match '"Type":"MariaDB"'
        $json | Should -Match '"SslMode":"VerifyCA"'
        ($json | ConvertFrom-Json).SslMode | Should -Be 'VerifyCA'
    }

    It 'a tunnel writes its State and HostKeyPolicy as names' {
        $tunnel = [SecureConnect.SshTunnel]::new(1, $null, '127.0.0.1', 5000, 'db', 5432, 'bastion', 22, 'ops', [string[]]@(), 'AcceptNew', [timespan]::FromSeconds(30), [timespan]::FromSeconds(15), $true, [string[]]@())
        $json = $tunnel | ConvertTo-Json -Compress -Depth 1 -WarningAction SilentlyContinue
        $json | Should -Match '"State":"Connecting"'
        $json | Should -Match '"HostKeyPolicy":"AcceptNew"'
    }

    It 'the SSL policy, an egress address and a workspace key write theirs as names' {
        Set-SslPolicy -Minimum Required
        (Get-SslPolicy | ConvertTo-Json -Compress) | Should -Match '"Mode":"Required"'
        (Add-EgressAddress -Address '192.0.2.1' | ConvertTo-Json -Compress) | Should -Match '"Source":"Configured"'
        (New-WorkspaceSshKey | ConvertTo-Json -Compress) | Should -Match '"Algorithm":"[A-Za-z]'
    }
}

Describe 'Arrays and hashtables show their contents' {
    BeforeAll { $script:listWs = New-TestWorkspace }
    AfterAll { Remove-Item -Recurse -Force $listWs -ErrorAction SilentlyContinue }

    It 'an integration lists its jump hosts and options, not their type names' {
        $i = New-SecureIntegration -Name 'lists' -Type PostgreSQL -HostName 'db.example' -SshBastion 'bastion.example' -SshUser ops `
            -SshJumpHost 'edge@jump1.example:2200', 'jump2.example' -Option @{ ApplicationName = 'audit' }
        $text = $i | Format-List | Out-String -Width 200
        $text | Should -Match 'SshJumpHost\s+:\s+\{edge@jump1\.example:2200, jump2\.example\}'
        $text | Should -Match 'Options\s+:\s+\{\[ApplicationName, audit\]\}'
        $text | Should -Not -Match 'System\.(Object|String)\[\]|System\.Collections'
    }

    It 'a tunnel shows its hops in the table' {
        $tunnel = [SecureConnect.SshTunnel]::new(1, $null, '127.0.0.1', 5000, 'db', 5432, 'bastion', 22, 'ops', [string[]]@('edge@jump:22'), 'Strict', [timespan]::FromSeconds(30), [timespan]::FromSeconds(15), $true, [string[]]@())
        $text = ($tunnel | Format-Table | Out-String -Width 200)
        $text | Should -Match 'edge@jump:22 -> ops@bastion:22'
        $text | Should -Not -Match 'System\.'
    }
}
