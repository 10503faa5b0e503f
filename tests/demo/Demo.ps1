# The demo: what a new user does, step by step, against the lab's real servers. Run by build.ps1 -Task Demo,
# which builds the module and starts and stops the lab around it.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Write-Step([string] $Text) { Write-Host "`n### $Text" -ForegroundColor Cyan }
function Write-Show([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Yellow }

$summary = [System.Collections.Generic.List[string]]::new()
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

    Write-Step '4. Authorize the key on the bastion, restricted to the one database it needs'
    $destination = "$($lab.postgresTls.hostName):$($lab.postgresTls.port)"
    Write-Show "Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen '$destination' | Add-Content <bastion authorized_keys>"
    $line = Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen $destination
    Add-Content -Path $lab.bastion.authorizedKeysPath -Value $line
    Write-Host $line
    $summary.Add("authorized_keys line installed on the lab bastion (permitopen=$destination)")

    if (Get-Command ssh -ErrorAction SilentlyContinue) {
        $sshArgs = @('-F', '/dev/null', '-i', $key.PrivateKeyPath, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes',
            '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10',
            '-p', [string]$lab.bastion.port)
        $target = "$($lab.bastion.user)@$($lab.bastion.host)"

        Write-Step '5. The real OpenSSH client logs in to the bastion with the workspace key'
        Write-Show "ssh -i $($key.PrivateKeyPath) -o BatchMode=yes $target 'echo ok'"
        $out = & ssh @sshArgs $target 'echo logged in as $(id -un) on $(hostname)' 2>&1
        Write-Host ($out -join "`n")
        $summary.Add("ssh login with the workspace key: $(if ($LASTEXITCODE -eq 0) { 'OK' } else { "FAILED ($LASTEXITCODE)" })")

        Write-Step '6. sshd enforces the restriction: the allowed database is reachable, another port is refused'
        Write-Show "ssh -W $destination $target   (allowed)"
        $allowed = @() | & ssh @sshArgs -W $destination $target 2>&1
        $allowedExit = $LASTEXITCODE
        Write-Host "exit code $allowedExit"
        $other = "$($lab.postgresTls.hostName):$($lab.mariadb.port)"
        Write-Show "ssh -W $other $target   (not in permitopen)"
        $refused = @() | & ssh @sshArgs -W $other $target 2>&1
        Write-Host "exit code $LASTEXITCODE`: $($refused -join ' ')"
        $summary.Add("permitopen: $destination allowed (exit $allowedExit), $other refused by sshd")
    }
    else {
        Write-Host 'The ssh client is not installed: skipping the login demonstration.'
    }

    Write-Host "`n### Summary" -ForegroundColor Green
    $summary | ForEach-Object { Write-Host " - $_" }
    Write-Host " - Coming next: Start-SshTunnel (issue 3), Invoke-SecureQuery with VerifyFull SSL (issue 4), egress allowlist (issue 5)."
}
finally {
    Set-Content -Path $lab.bastion.authorizedKeysPath -Value @()
    Remove-Item -Recurse -Force $env:SECURECONNECT_HOME -ErrorAction SilentlyContinue
}
