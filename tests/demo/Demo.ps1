# The demo: what a new user does, step by step, against the lab's real servers. Run by build.ps1 -Task Demo,
# which builds the module and starts and stops the lab around it.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Write-Step([string] $Text) { Write-Host "`n### $Text" -ForegroundColor Cyan }
function Write-Show([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Yellow }
function Start-DemoDouble([string] $Name, [int] $Port, [string[]] $Arguments) {
    # A TEST DOUBLE of a server that cannot run here (tests/<Name>Double), in the lab's database network with the lab's
    # certificate and login, where the bastion reaches it.
    $db = $lab.postgresTls
    $dll = Join-Path (Split-Path (Split-Path $PSScriptRoot -Parent) -Parent) "output/${Name}Double/${Name}Double.dll"
    $command = @('dotnet', $dll, '--address', $db.host, '--port', "$Port", '--user', $db.user, '--password', $db.password,
        '--tls-cert', $lab.ca.serverCertPath, '--tls-key', ($lab.ca.serverCertPath -replace 'server\.crt$', 'server.key')) + $Arguments
    if ($lab.dbNamespace) { $command = @('ip', 'netns', 'exec', $lab.dbNamespace) + $command }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in $command | Select-Object -Skip 1) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $null = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch '^listening ') { $process.Kill($true); throw "The $Name test double did not start: $line" }
    $script:demoDoubles += $process
    $process
}

function Invoke-RedisPing([string] $HostName, [int] $Port) {
    # What any Redis client does first: PING, and the answer (+PONG).
    $client = [System.Net.Sockets.TcpClient]::new($HostName, $Port)
    try {
        $stream = $client.GetStream()
        $ping = [Text.Encoding]::ASCII.GetBytes("PING`r`n")
        $stream.Write($ping, 0, $ping.Length)
        $buffer = [byte[]]::new(64)
        $stream.ReadTimeout = 10000
        $n = $stream.Read($buffer, 0, $buffer.Length)
        [Text.Encoding]::ASCII.GetString($buffer, 0, $n).Trim()
    }
    finally { $client.Dispose() }
}

$summary = [System.Collections.Generic.List[string]]::new()
$script:demoDoubles = @()
$modulePath = $env:SECURECONNECT_MODULE_PATH
$lab = Get-Content -Raw $env:SECURECONNECT_LAB_ENDPOINTS | ConvertFrom-Json

# A workspace of its own, so the demo never touches the user's real ~/.secureconnect.
$env:SECURECONNECT_HOME = Join-Path ([IO.Path]::GetTempPath()) ("secureconnect-demo-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
Write-Host "Lab: $($lab.mode) mode; bastion $($lab.bastion.user)@$($lab.bastion.host):$($lab.bastion.port); database $($lab.postgresTls.hostName):$($lab.postgresTls.port) (reachable only through the bastion in netns mode)"
Write-Host "Workspace for this demo: $env:SECURECONNECT_HOME"

try {
    Write-Step '1. Import the module'
    Write-Show 'Import-Module SecureConnect'
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Import-Module $modulePath
    Write-Host "Imported SecureConnect $((Get-Module SecureConnect).Version) in $($sw.ElapsedMilliseconds) ms"

    Write-Step '2. Create the workspace SSH key (once per workspace, shared by every integration)'
    Write-Show 'New-WorkspaceSshKey'
    $key = New-WorkspaceSshKey
    $key | Format-List Algorithm, Fingerprint, PublicKey, PrivateKeyPath, Encrypted | Out-Host
    $mode = if ($IsWindows) { 'owner-only ACL' } else { [Convert]::ToString([int][IO.File]::GetUnixFileMode($key.PrivateKeyPath), 8) }
    Write-Host "Private key file mode: $mode"
    $summary.Add("Workspace key $($key.Algorithm) $($key.Fingerprint), private key mode $mode")

    Write-Step '3. A second try does not overwrite it'
    Write-Show 'New-WorkspaceSshKey'
    try { New-WorkspaceSshKey -ErrorAction Stop | Out-Null }
    catch { Write-Host "Refused as expected: [$($_.FullyQualifiedErrorId)] $($_.Exception.Message)" }

    Write-Step '4. Authorize the key on the bastion, restricted to the services it needs'
    $pg = "$($lab.postgresTls.hostName):$($lab.postgresTls.port)"
    $redis = "$($lab.redis.hostName):$($lab.redis.port)"
    $clickhouse = "$($lab.clickhouse.hostName):$($lab.clickhouse.httpsPort)"
    $web = "$($lab.http.hostName):$($lab.http.port)"
    $mongo = "$($lab.postgresTls.hostName):27017"
    $trino = "$($lab.postgresTls.hostName):18443"
    $dremio = "$($lab.postgresTls.hostName):32010"
    Write-Show "Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen '$pg', '$redis', '$clickhouse', '$web', '$mongo', '$trino', '$dremio' | Add-Content <bastion authorized_keys>"
    $line = Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen $pg, $redis, $clickhouse, $web, $mongo, $trino, $dremio
    Add-Content -Path $lab.bastion.authorizedKeysPath -Value $line
    Write-Host $line
    $summary.Add("authorized_keys line installed on the lab bastion (permitopen=$pg, $redis, $clickhouse, $web, $mongo, $trino, $dremio)")

    if (Get-Command ssh -ErrorAction SilentlyContinue) {
        Write-Step '5. The real OpenSSH client logs in to the bastion with the workspace key'
        $target = "$($lab.bastion.user)@$($lab.bastion.host)"
        Write-Show "ssh -i $($key.PrivateKeyPath) -o BatchMode=yes $target 'id -un'"
        $out = & ssh -F /dev/null -i $key.PrivateKeyPath -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null `
            -o LogLevel=ERROR -o ConnectTimeout=10 -p $lab.bastion.port $target 'echo logged in as $(id -un)' 2>&1
        Write-Host ($out -join "`n")
        $summary.Add("OpenSSH login with the workspace key: $(if ($LASTEXITCODE -eq 0) { 'OK' } else { "FAILED ($LASTEXITCODE)" })")
    }

    Write-Step '6. Trust the bastion''s host key (checked on every connection; nothing ever prompts)'
    Write-Show "Get-SshServerKey -HostName $($lab.bastion.host) -Port $($lab.bastion.port) | Add-SshKnownHost"
    $known = Get-SshServerKey -HostName $lab.bastion.host -Port $lab.bastion.port | Add-SshKnownHost
    $known | Format-Table Hosts, Algorithm, Fingerprint | Out-Host
    Write-Host "The lab's own record of that key: $($lab.bastion.hostKeyFingerprint)"
    $summary.Add("Bastion host key trusted: $($known.Fingerprint -join ', ') (lab says $($lab.bastion.hostKeyFingerprint))")

    Write-Step '7. A tunnel to the private PostgreSQL (reachable only through the bastion)'
    $bastionArgs = @{ Bastion = $lab.bastion.host; BastionPort = $lab.bastion.port; User = $lab.bastion.user }
    Write-Show "Start-SshTunnel -Name pg -Bastion $($lab.bastion.host) -User $($lab.bastion.user) -RemoteHost $($lab.postgresTls.hostName) -RemotePort $($lab.postgresTls.port)"
    $pgTunnel = Start-SshTunnel -Name pg @bastionArgs -RemoteHost $lab.postgresTls.hostName -RemotePort $lab.postgresTls.port
    $pgTunnel | Format-Table Id, Name, State, LocalHost, LocalPort, RemoteHost, RemotePort, HostKeyFingerprint | Out-Host
    Write-Host "`$env:PG_LOCAL_HOST=$env:PG_LOCAL_HOST  `$env:PG_LOCAL_PORT=$env:PG_LOCAL_PORT"
    if (Get-Command psql -ErrorAction SilentlyContinue) {
        Write-Show "psql ""host=`$env:PG_LOCAL_HOST port=`$env:PG_LOCAL_PORT dbname=scdemo user=sc_app sslmode=require"" -c 'select id, name from people'"
        $env:PGPASSWORD = $lab.postgresTls.password
        try {
            & psql "host=$env:PG_LOCAL_HOST port=$env:PG_LOCAL_PORT dbname=$($lab.postgresTls.database) user=$($lab.postgresTls.user) sslmode=require connect_timeout=10" -X -c 'select id, name from people order by id' | Out-Host
            $summary.Add("psql through tunnel #$($pgTunnel.Id) (127.0.0.1:$($pgTunnel.LocalPort)): $(if ($LASTEXITCODE -eq 0) { 'OK' } else { "FAILED ($LASTEXITCODE)" })")
        }
        finally { Remove-Item Env:PGPASSWORD -ErrorAction SilentlyContinue }
    }

    Write-Step '8. Any TCP service: Redis through a named tunnel, found through environment variables'
    Write-Show "Start-SshTunnel -Name redis ... -RemoteHost $($lab.redis.hostName) -RemotePort $($lab.redis.port)"
    $redisTunnel = Start-SshTunnel -Name redis @bastionArgs -RemoteHost $lab.redis.hostName -RemotePort $lab.redis.port
    $answer = Invoke-RedisPing $env:REDIS_LOCAL_HOST $env:REDIS_LOCAL_PORT
    Write-Host "PING via `$env:REDIS_LOCAL_HOST:`$env:REDIS_LOCAL_PORT ($env:REDIS_LOCAL_HOST`:$env:REDIS_LOCAL_PORT) -> $answer"
    $summary.Add("Redis PING through tunnel #$($redisTunnel.Id) (-Name redis): $answer")

    Write-Step '9. Save that tunnel as an integration, start it by name, and PING through its variables; an HTTP API the same way'
    Write-Show 'Stop-SshTunnel -Name redis    # the ad-hoc tunnel of step 8; the saved one replaces it'
    Stop-SshTunnel -Name redis
    Write-Show "New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName $($lab.redis.hostName) -Port $($lab.redis.port) -SshBastion $($lab.bastion.host):$($lab.bastion.port) -SshUser $($lab.bastion.user)"
    $saved = New-SecureIntegration -Type SshTunnel -Name 'My SSH tunnel' -HostName $lab.redis.hostName -Port $lab.redis.port `
        -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user
    $saved | Format-List Name, Type, HostName, Port, SslModeSource, LocalHostVariable, LocalPortVariable, PowerShellExample, PythonExample | Out-Host
    Write-Show "Start-SshTunnel -Integration 'My SSH tunnel'"
    $savedTunnel = Start-SshTunnel -Integration 'My SSH tunnel'
    $answer = Invoke-RedisPing $env:MY_SSH_TUNNEL_LOCAL_HOST $env:MY_SSH_TUNNEL_LOCAL_PORT
    Write-Host "PING via `$env:MY_SSH_TUNNEL_LOCAL_HOST:`$env:MY_SSH_TUNNEL_LOCAL_PORT ($env:MY_SSH_TUNNEL_LOCAL_HOST`:$env:MY_SSH_TUNNEL_LOCAL_PORT) -> $answer"
    Write-Show "Start-SshTunnel -Integration *     # a runbook's first line: every saved tunnel, the same one again"
    $again = @(Start-SshTunnel -Integration *)
    Write-Host "Started: $(($again | ForEach-Object { "$($_.Name) #$($_.Id)" }) -join ', ') (the tunnel above is #$($savedTunnel.Id))"
    $summary.Add("Saved SSH Tunnel integration 'My SSH tunnel': Redis PING through tunnel #$($savedTunnel.Id) via MY_SSH_TUNNEL_LOCAL_HOST/_PORT: $answer")
    Write-Show "New-SecureIntegration -Type SshTunnel -Name 'Model registry' -HostName $($lab.http.hostName) -Port $($lab.http.port) ...; Start-SshTunnel -Integration 'Model registry'"
    New-SecureIntegration -Type SshTunnel -Name 'Model registry' -HostName $lab.http.hostName -Port $lab.http.port `
        -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user | Out-Null
    Start-SshTunnel -Integration 'Model registry' | Out-Null
    Write-Show 'Invoke-RestMethod "http://$($env:MODEL_REGISTRY_LOCAL_HOST):$($env:MODEL_REGISTRY_LOCAL_PORT)/api/2.0/experiments"'
    $api = Invoke-RestMethod "http://$($env:MODEL_REGISTRY_LOCAL_HOST):$($env:MODEL_REGISTRY_LOCAL_PORT)/api/2.0/experiments" -TimeoutSec 20
    $api | Format-List | Out-Host
    $summary.Add("Saved SSH Tunnel integration 'Model registry': an HTTP API behind the bastion answered Invoke-RestMethod ($($api.service) $($api.path))")

    Write-Step '10. The bastion enforces permitopen: a tunnel to MariaDB (not allowed) is refused at start (ForwardRefused)'
    Write-Show "Start-SshTunnel -Name mariadb ... -RemoteHost $($lab.mariadb.hostName) -RemotePort $($lab.mariadb.port)"
    $refusal = $null
    try { Start-SshTunnel -Name mariadb @bastionArgs -RemoteHost $lab.mariadb.hostName -RemotePort $lab.mariadb.port -ErrorAction Stop | Out-Null }
    catch { $refusal = $_ }
    if (-not $refusal -or $refusal.FullyQualifiedErrorId -notlike 'ForwardRefused,*') { throw "expected ForwardRefused for the MariaDB tunnel, got: $refusal" }
    Write-Host "  $($refusal.FullyQualifiedErrorId)" -ForegroundColor Yellow
    Write-Host "  $($refusal.Exception.Message)"
    Write-Show 'Get-SshTunnel | Test-SshTunnel'
    $tests = Get-SshTunnel | Test-SshTunnel
    $tests | Format-Table TunnelId, Name, Forwarded, RoundTripMs, Reason -Wrap | Out-Host
    $summary.Add("Start-SshTunnel to MariaDB: ForwardRefused; Test-SshTunnel: " + (($tests | ForEach-Object { "$($_.Name)=$(if ($_.Forwarded) { 'forwarded' } else { 'refused' })" }) -join ', '))

    Write-Step '11. Register the database as an integration: strict TLS (VerifyFull) through the bastion'
    $db = $lab.postgresTls
    $credential = [pscredential]::new($db.user, (ConvertTo-SecureString $db.password -AsPlainText -Force))
    Write-Show "New-SecureIntegration -Name people-db -Type PostgreSQL -HostName $($db.hostName) -Database $($db.database) -Credential `$cred -SslMode VerifyFull -CaCertificatePath <lab CA> -SshBastion $($lab.bastion.host) -SshUser $($lab.bastion.user)"
    $integration = New-SecureIntegration -Name people-db -Type PostgreSQL -HostName $db.hostName -Port $db.port -Database $db.database -Credential $credential `
        -SslMode VerifyFull -CaCertificatePath $db.caPath -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user
    $integration | Format-List Name, Type, HostName, Port, Database, UserName, SslMode, CaCertificate, SshBastion | Out-Host
    Write-Host "workspace.json holds no password: $(-not (Select-String -Path (Join-Path $env:SECURECONNECT_HOME 'workspace.json') -Pattern $db.password -SimpleMatch -Quiet))"

    Write-Step '12. Query it (the tunnel is reused) and export the rows with Export-Csv'
    $csv = Join-Path $env:SECURECONNECT_HOME 'people.csv'
    Write-Show "Invoke-SecureQuery people-db 'select id, name, email, score, note from people where score > @min order by id' -Parameters @{ min = 80 } | Export-Csv people.csv"
    Invoke-SecureQuery people-db 'select id, name, email, score, note from people where score > @min order by id' -Parameters @{ min = 80 } |
        Export-Csv -Path $csv -NoTypeInformation
    Get-Content $csv | Out-Host
    $summary.Add("VerifyFull query through the tunnel exported $(@(Import-Csv $csv).Count) rows to people.csv")

    Write-Step '13. How is that connection secured? (as the server reports it)'
    Write-Show 'Test-SecureConnection people-db'
    $report = Test-SecureConnection people-db
    $report | Format-List Integration, Endpoint, Via, SslMode, Encrypted, TlsProtocol, CipherSuite, CertificateValidated, HostNameVerified, CertificateSubject, CertificateIssuer, CertificateNotAfter, ServerVersion, ClientAddressSeenByServer, RoundTripMs, Warnings | Out-Host
    $summary.Add("Test-SecureConnection: encrypted=$($report.Encrypted) $($report.TlsProtocol), chain verified=$($report.CertificateValidated), name verified=$($report.HostNameVerified), server sees $($report.ClientAddressSeenByServer)")

    Write-Step '14. ClickHouse too: its HTTP interface over HTTPS, VerifyFull with the real name, through the same bastion'
    $ch = $lab.clickhouse
    $chCredential = [pscredential]::new($ch.user, (ConvertTo-SecureString $ch.password -AsPlainText -Force))
    Write-Show "New-SecureIntegration -Name events -Type ClickHouse -HostName $($ch.hostName) -Database $($ch.database) -Credential `$cred -SslMode VerifyFull -CaCertificatePath <lab CA> -SshBastion ... -SshUser ..."
    New-SecureIntegration -Name events -Type ClickHouse -HostName $ch.hostName -Database $ch.database -Credential $chCredential `
        -SslMode VerifyFull -CaCertificatePath $ch.caPath -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user |
        Format-List Name, Type, HostName, Port, SslMode | Out-Host
    Write-Show "Invoke-SecureQuery events 'SELECT id, name, score, joined FROM people ORDER BY id' | Format-Table"
    Invoke-SecureQuery events 'SELECT id, name, score, joined FROM people ORDER BY id' | Format-Table | Out-Host
    $chReport = Test-SecureConnection events
    Write-Host "Test-SecureConnection events: encrypted=$($chReport.Encrypted) $($chReport.TlsProtocol), chain=$($chReport.CertificateValidated), name=$($chReport.HostNameVerified), ClickHouse $($chReport.ServerVersion)"
    $summary.Add("ClickHouse $($chReport.ServerVersion) over HTTPS through the bastion, VerifyFull: $(@(Invoke-SecureQuery events 'SELECT id FROM people').Count) typed rows")

    Write-Step '15. MongoDB: documents as objects, through the same bastion (the server is the wire-protocol TEST DOUBLE: no MongoDB runs here)'
    $null = Start-DemoDouble Mongo 27017 @('--tls-mode', 'allow')
    $mdb = $lab.postgresTls
    $mongoCredential = [pscredential]::new($mdb.user, (ConvertTo-SecureString $mdb.password -AsPlainText -Force))
    Write-Show "New-SecureIntegration -Name orders-mongo -Type MongoDB -HostName $($mdb.hostName) -Database scdemo -Credential `$cred -SslMode VerifyFull -CaCertificatePath <lab CA> -SshBastion ... -SshUser ..."
    New-SecureIntegration -Name orders-mongo -Type MongoDB -HostName $mdb.hostName -Database scdemo -Credential $mongoCredential `
        -SslMode VerifyFull -CaCertificatePath $lab.ca.labCaPath -SshBastion "$($lab.bastion.host):$($lab.bastion.port)" -SshUser $lab.bastion.user | Out-Null
    Write-Show "Invoke-SecureQuery orders-mongo -Collection people -Filter @{ score = @{ '`$gt' = 90 } } -Sort ([ordered]@{ score = -1 }) | Format-Table name, score, joined, @{ n = 'city'; e = { `$_.address.city } }"
    Invoke-SecureQuery orders-mongo -Collection people -Filter @{ score = @{ '$gt' = 90 } } -Sort ([ordered]@{ score = -1 }) |
        Format-Table name, score, joined, @{ n = 'city'; e = { $_.address.city } } | Out-Host
    $mongoReport = Test-SecureConnection orders-mongo
    Write-Host "Test-SecureConnection orders-mongo: encrypted=$($mongoReport.Encrypted) $($mongoReport.TlsProtocol), chain=$($mongoReport.CertificateValidated), name=$($mongoReport.HostNameVerified), server $($mongoReport.ServerVersion)"
    $summary.Add("MongoDB (wire-protocol test double) through the bastion, VerifyFull: $(@(Invoke-SecureQuery orders-mongo -Collection people).Count) documents as objects")

    Write-Step '16. Trino and Dremio, the same way (the servers are TEST DOUBLES: a Trino coordinator double and an Arrow Flight double)'
    $null = Start-DemoDouble Trino 18443 @()
    $null = Start-DemoDouble Flight 32010 @()
    $labLogin = [pscredential]::new($mdb.user, (ConvertTo-SecureString $mdb.password -AsPlainText -Force))
    $common = @{ HostName = $mdb.hostName; Credential = $labLogin; SslMode = 'VerifyFull'; CaCertificatePath = $lab.ca.labCaPath; SshBastion = "$($lab.bastion.host):$($lab.bastion.port)"; SshUser = $lab.bastion.user }
    Write-Show "New-SecureIntegration -Name lake -Type Trino -Port 18443 -Option @{ Catalog = 'hive'; Schema = 'sales' } ...; Invoke-SecureQuery lake 'SELECT * FROM people'"
    New-SecureIntegration -Name lake -Type Trino -Port 18443 -Option @{ Catalog = 'hive'; Schema = 'sales' } @common | Out-Null
    Invoke-SecureQuery lake 'SELECT * FROM people' | Format-Table id, name, score, joined | Out-Host
    Write-Show "New-SecureIntegration -Name flight -Type Dremio ...; Invoke-SecureQuery flight 'SELECT * FROM people'"
    New-SecureIntegration -Name flight -Type Dremio @common | Out-Null
    Invoke-SecureQuery flight 'SELECT * FROM people' | Format-Table id, name, score, joined | Out-Host
    $trinoReport = Test-SecureConnection lake -WarningAction SilentlyContinue
    $dremioReport = Test-SecureConnection flight -WarningAction SilentlyContinue
    Write-Host "Trino: encrypted=$($trinoReport.Encrypted) $($trinoReport.TlsProtocol), name=$($trinoReport.HostNameVerified), $($trinoReport.ServerVersion); Dremio: encrypted=$($dremioReport.Encrypted) $($dremioReport.TlsProtocol), name=$($dremioReport.HostNameVerified), $($dremioReport.ServerVersion)"
    $summary.Add("Trino and Dremio (test doubles) through the bastion, VerifyFull: $(@(Invoke-SecureQuery lake 'SELECT * FROM people').Count) and $(@(Invoke-SecureQuery flight 'SELECT * FROM people').Count) typed rows")

    Write-Step '17. Which address must the database firewall allow? (the egress allowlist)'
    Write-Show 'Get-EgressAllowlist -Integration people-db'
    $observed = Get-EgressAllowlist -Integration people-db
    $observed | Format-List Cidr, Source, Description | Out-Host
    Write-Show 'Add-EgressAddress 203.0.113.7 -Description ''runbook NAT gateway''; Get-EgressAllowlist'
    Add-EgressAddress 203.0.113.7 -Description 'runbook NAT gateway' | Out-Null
    Get-EgressAllowlist | Format-Table Cidr, Family, Source, Description | Out-Host
    Write-Show "`$observed, (Get-EgressAllowlist) | ConvertTo-FirewallRule -Format PgHba -Database $($db.database) -User $($db.user)"
    @($observed) + @(Get-EgressAllowlist) | ConvertTo-FirewallRule -Format PgHba -Database $db.database -User $db.user | Out-Host
    Write-Show 'Test-EgressAllowlist -Integration people-db'
    $egress = Test-EgressAllowlist -Integration people-db
    Write-Host "$($egress.Message)"
    $summary.Add("Egress: the database sees $($observed.Address) (the bastion); covered by the allowlist: $($egress.Covered); pg_hba rules rendered")

    Write-Step '18. A certificate from the wrong CA is refused, through the same tunnel'
    Write-Show 'Set-SslPolicy -Integration people-db -Mode VerifyFull -CaCertificatePath <rogue CA>; Invoke-SecureQuery people-db ...'
    Set-SslPolicy -Integration people-db -Mode VerifyFull -CaCertificatePath $lab.ca.rogueCaPath | Out-Null
    try { Invoke-SecureQuery people-db 'select 1' -ErrorAction Stop | Out-Null }
    catch { Write-Host "Refused as expected: [$($_.FullyQualifiedErrorId)] $($_.Exception.Message)" }

    Write-Step '19. Stop every tunnel'
    Write-Show 'Get-SshTunnel | Stop-SshTunnel'
    Get-SshTunnel | Stop-SshTunnel
    Write-Host "Tunnels left: $(@(Get-SshTunnel).Count); `$env:PG_LOCAL_PORT is now '$env:PG_LOCAL_PORT'"

    Write-Host "`n### Summary" -ForegroundColor Green
    $summary | ForEach-Object { Write-Host " - $_" }
    Write-Host " - Every issue so far is in the demo: key, tunnels, saved tunnel integrations, strict-SSL queries (PostgreSQL, ClickHouse; MongoDB, Trino and Dremio against their test doubles), egress allowlist."
}
finally {
    if (Get-Module SecureConnect) { Get-SshTunnel | Stop-SshTunnel }
    foreach ($p in $script:demoDoubles) { if (-not $p.HasExited) { $p.StandardInput.Close(); if (-not $p.WaitForExit(10000)) { $p.Kill($true) } } }
    Set-Content -Path $lab.bastion.authorizedKeysPath -Value @()
    Remove-Item -Recurse -Force $env:SECURECONNECT_HOME -ErrorAction SilentlyContinue
}
