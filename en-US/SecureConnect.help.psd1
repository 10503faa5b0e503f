# The prose of the cmdlet help. build.ps1 turns it, with each cmdlet's own metadata (syntax, types,
# pipeline input, INPUTS, OUTPUTS, HelpUri), into SecureConnect.dll-Help.xml in the built module. Every cmdlet and every parameter
# must have an entry: the build fails otherwise.
# An example marked Lab = $true runs as it is written in tests/Help.Tests.ps1, against the lab, in a workspace that has the
# integrations orders (PostgreSQL) and shop (MariaDB) behind the lab bastion; every other example is listed there with
# the reason it cannot run. Inputs are derived from the pipeline parameters (an entry's Inputs only add to them), and
# Outputs from [OutputType].
@{
    'New-WorkspaceSshKey'     = @{
        Synopsis    = 'Creates the workspace SSH key pair that every integration of the workspace uses.'
        Description = @'
Generates a new SSH key pair (RSA with the platform's RSA implementation, OpenSSL on Linux; Ed25519 and ECDSA with BouncyCastle) and stores it in the workspace's keys folder ($env:SECURECONNECT_HOME, by default ~/.secureconnect): the private key in OpenSSH format (the format ssh-keygen writes and ssh reads), mode 0600 on Unix and an owner-only ACL on Windows, and the public key as one authorized_keys line.

The same key serves every integration of the workspace: install its public key once on each bastion (see ConvertTo-AuthorizedKey). Ed25519 is the default; Rsa makes a 4096-bit key that signs with rsa-sha2-256/512 as OpenSSH 8.8 and later require; Ecdsa makes a P-256 key.

With -Passphrase the private key file is encrypted as ssh-keygen encrypts it (aes256-ctr with the bcrypt KDF). An existing key is never replaced silently: without -Force the command fails with the error id WorkspaceKeyExists; with -Force the old pair moves to keys/retired/<timestamp>/ and -Verbose says so.

Errors: WorkspaceKeyExists, WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module), WorkspaceNotWritable (the workspace folder, workspace.json or its lock file cannot be created or written; the message names the path).
'@
        Parameters  = @{
            Algorithm  = 'The key algorithm: Ed25519 (default), Rsa (4096 bits) or Ecdsa (NIST P-256).'
            Comment    = 'The comment at the end of the public key line. Defaults to secureconnect@<computer name>.'
            Passphrase = 'Encrypts the private key file with this passphrase (aes256-ctr, bcrypt KDF, as ssh-keygen does). Tunnels then need the same passphrase. The passphrase is never written anywhere.'
            Force      = 'Replaces an existing workspace key. The old key pair is kept under keys/retired/<timestamp>/; remove its public key from the bastions once the new key is installed.'
        }
        Outputs     = @('SecureConnect.WorkspaceSshKey')
        Examples    = @(
            @{
                Title   = 'Create the workspace key'
                Code    = 'New-WorkspaceSshKey'
                Remarks = 'Creates an Ed25519 key pair in the workspace and outputs its fingerprint and public key.'
            }
            @{
                Title   = 'An encrypted RSA key'
                Code    = '$passphrase = Read-Host -AsSecureString -Prompt Passphrase
New-WorkspaceSshKey -Algorithm Rsa -Passphrase $passphrase -Comment ''automation@contoso'''
                Remarks = 'Creates a 4096-bit RSA key whose private key file opens only with the passphrase.'
            }
            @{
                Title   = 'Rotate the key'
                Lab     = $true
                Code    = 'New-WorkspaceSshKey -Force -Verbose'
                Remarks = 'Replaces the key; the previous pair moves to keys/retired/ and Verbose output names the folder.'
            }
            @{
                Title   = 'Rotate the key and print the line for the bastion'
                Lab     = $true
                Code    = 'New-WorkspaceSshKey -Force | ConvertTo-AuthorizedKey -PermitOpen ''db.internal:5432'''
                Remarks = 'The new key pipes into ConvertTo-AuthorizedKey by its PublicKey; replace the old line in the bastion users authorized_keys with the one printed.'
            }
        )
        Links       = @('Get-WorkspaceSshKey', 'ConvertTo-AuthorizedKey', 'Import-WorkspaceSshKey', 'about_SecureConnect')
    }
    'Get-WorkspaceSshKey'     = @{
        Synopsis    = 'Gets the workspace SSH key pair.'
        Description = @'
Outputs the workspace key: algorithm, fingerprint (exactly as ssh-keygen -l -E sha256 prints it), public key line, file paths, whether the private key is encrypted, and when it was created. No passphrase is needed to read it.

When the workspace has no key, the command writes an error with the id WorkspaceKeyNotFound whose message says to run New-WorkspaceSshKey.
'@
        Parameters  = @{}
        Outputs     = @('SecureConnect.WorkspaceSshKey')
        Examples    = @(
            @{
                Title   = 'Show the key'
                Lab     = $true
                Code    = 'Get-WorkspaceSshKey | Format-List'
                Remarks = 'Shows every property of the workspace key.'
            }
            @{
                Title   = 'Only the public key line'
                Code    = '(Get-WorkspaceSshKey).PublicKey | Set-Clipboard'
                Remarks = 'Copies the public key line, to paste into a bastion''s authorized_keys.'
            }
        )
        Links       = @('New-WorkspaceSshKey', 'ConvertTo-AuthorizedKey')
    }
    'Remove-WorkspaceSshKey'  = @{
        Synopsis    = 'Deletes the workspace SSH key pair.'
        Description = @'
Deletes the workspace's private and public key files. Every integration that tunnels through a bastion with this key loses access until a new key is created and installed, so the command asks for confirmation (ConfirmImpact High) unless -Force or -Confirm:$false is given. -WhatIf shows what would be deleted.

Where nobody can answer (pwsh -NonInteractive, or a host without a user interface) it does not prompt: it fails with the error id ConfirmationRequired, deletes nothing, and says to add -Force.
'@
        Parameters  = @{
            Force = 'Deletes without asking for confirmation, as a runbook needs. -WhatIf still only reports.'
        }
        Outputs     = @()
        Examples    = @(
            @{
                Title   = 'Delete the key in a runbook'
                Lab     = $true
                Code    = 'Remove-WorkspaceSshKey -Force'
                Remarks = 'Deletes the key pair without a prompt.'
            }
            @{
                Title   = 'See what would be deleted'
                Lab     = $true
                Code    = 'Remove-WorkspaceSshKey -WhatIf'
                Remarks = 'Names the key file and fingerprint that would be deleted, and deletes nothing.'
            }
            @{
                Title   = 'Keep a record of the key, then delete it'
                Lab     = $true
                Code    = 'Get-WorkspaceSshKey | Select-Object Fingerprint, Algorithm, Created | Export-Csv ./retired-keys.csv -Append
Remove-WorkspaceSshKey -Force'
                Remarks = 'Appends the fingerprint of the key to retired-keys.csv (to find and remove its line on the bastions later), then deletes the key without a prompt.'
            }
        )
        Links       = @('New-WorkspaceSshKey')
    }
    'Import-WorkspaceSshKey'  = @{
        Synopsis    = 'Adopts an existing private key as the workspace SSH key.'
        Description = @'
Reads an existing private key (OpenSSH format, or PEM: PKCS#1 RSA, SEC1 EC, PKCS#8, encrypted or not) and stores it as the workspace key in OpenSSH format. An encrypted key stays encrypted with the same passphrase.

It refuses, each with its own error id: a file that does not exist (KeyFileNotFound); a public key (KeyIsPublicKey); a corrupt file (KeyFileCorrupt) or an unsupported format (KeyFormatUnsupported); an encrypted key without -Passphrase (KeyPassphraseRequired) or with a wrong one (KeyPassphraseIncorrect); and on Unix a key file that group or others can read (KeyFileUnprotected), as OpenSSH refuses an unprotected private key file. An existing workspace key is replaced only with -Force (WorkspaceKeyExists otherwise).
'@
        Parameters  = @{
            Path       = 'The private key file. A FileInfo from Get-ChildItem pipes in by its FullName.'
            Passphrase = 'The passphrase of an encrypted key file.'
            Force      = 'Replaces an existing workspace key; the old pair moves to keys/retired/<timestamp>/.'
        }
        Inputs      = @('System.String', 'System.IO.FileInfo')
        Outputs     = @('SecureConnect.WorkspaceSshKey')
        Examples    = @(
            @{
                Title   = 'Adopt the key a team already uses'
                Code    = 'Import-WorkspaceSshKey -Path ~/.ssh/id_ed25519'
                Remarks = 'The key must be readable by its owner only (chmod 600).'
            }
            @{
                Title   = 'An encrypted PEM key'
                Code    = 'Import-WorkspaceSshKey -Path ./bastion.pem -Passphrase (Read-Host -AsSecureString)'
                Remarks = 'Reads the encrypted PEM key and stores it, still encrypted, in OpenSSH format.'
            }
            @{
                Title   = 'From the pipeline, replacing the current key'
                Code    = 'Get-ChildItem ~/.ssh/id_ed25519 | Import-WorkspaceSshKey -Force'
                Remarks = 'The FileInfo binds to -Path by its FullName; the previous workspace key moves to keys/retired/<timestamp>/.'
            }
        )
        Links       = @('New-WorkspaceSshKey', 'Get-WorkspaceSshKey')
    }
    'Unlock-WorkspaceSshKey'  = @{
        Synopsis    = 'Unlocks an encrypted workspace SSH key for this session, so integrations can use it.'
        Description = @'
Checks the passphrase by decrypting the workspace key (KeyPassphraseIncorrect when it does not), then keeps a copy of it in this PowerShell process's memory, never on disk, until the process ends, Lock-WorkspaceSshKey, Remove-Module SecureConnect, or the key is replaced or removed. Every tunnel started with the workspace key in this session then decrypts it with that passphrase: the tunnels that Invoke-SecureQuery, Export-SecureQuery and Test-SecureConnection start for an integration with an SSH bastion (they have no -KeyPassphrase), and Start-SshTunnel without -KeyPassphrase.

Without it, an integration with a bastion fails on an encrypted workspace key with the error id KeyPassphraseRequired. An unencrypted key needs no unlocking: the command returns it and changes nothing. Nothing prompts: in a runbook, read the passphrase from a vault (Get-Secret of SecretManagement).
'@
        Parameters  = @{
            Passphrase = 'The passphrase of the workspace key, as a SecureString (for example from Get-Secret or Read-Host -AsSecureString).'
        }
        Outputs     = @('SecureConnect.WorkspaceSshKey')
        Examples    = @(
            @{
                Title   = 'Unlock the key in a runbook, then query through the bastion'
                Code    = 'Unlock-WorkspaceSshKey -Passphrase (Get-Secret -Name workspace-key-passphrase)
Invoke-SecureQuery -Integration orders-db -Query ''SELECT count(*) FROM orders'''
                Remarks = 'The passphrase comes from a SecretManagement vault; the query''s tunnel uses the unlocked key.'
            }
            @{
                Title   = 'Unlock interactively, and lock again when done'
                Code    = 'Unlock-WorkspaceSshKey (Read-Host -AsSecureString ''Key passphrase'')
Get-SecureIntegration | Test-SecureConnection
Lock-WorkspaceSshKey'
                Remarks = 'Tests every integration with the unlocked key, then forgets the passphrase.'
            }
        )
        Links       = @('Lock-WorkspaceSshKey', 'New-WorkspaceSshKey', 'about_SecureConnect')
    }
    'Lock-WorkspaceSshKey'    = @{
        Synopsis    = 'Forgets the workspace key passphrase that Unlock-WorkspaceSshKey kept for this session.'
        Description = @'
Removes the passphrase of the workspace key from this session's memory. Tunnels that are already up keep running; new tunnels of integrations fail with KeyPassphraseRequired until the key is unlocked again. Locking a key that is not unlocked does nothing (-Verbose says so).
'@
        Parameters  = @{}
        Outputs     = @()
        Examples    = @(
            @{
                Title   = 'Forget the passphrase at the end of a runbook'
                Code    = 'try { Unlock-WorkspaceSshKey -Passphrase (Get-Secret -Name key-passphrase); Invoke-SecureQuery -Integration orders-db -Query ''SELECT 1'' }
finally { Lock-WorkspaceSshKey }'
                Remarks = 'The passphrase is in memory only while the queries run.'
            }
            @{
                Title   = 'Lock and see that it was unlocked'
                Lab     = $true
                Code    = 'Lock-WorkspaceSshKey -Verbose'
                Remarks = 'Says whether the key was unlocked in this session.'
            }
            @{
                Title   = 'Lock only an encrypted key'
                Lab     = $true
                Code    = 'Get-WorkspaceSshKey | Where-Object Encrypted | ForEach-Object { Lock-WorkspaceSshKey -Verbose }'
                Remarks = 'Forgets the passphrase when the workspace key has one; an unencrypted key has nothing to forget.'
            }
        )
        Links       = @('Unlock-WorkspaceSshKey')
    }
    'ConvertTo-AuthorizedKey' = @{
        Synopsis    = 'Renders the authorized_keys line that authorizes a key on a bastion, with forwarding restrictions.'
        Description = @'
Outputs the exact line to add to the bastion user's authorized_keys file for the workspace key (or any public key piped in). With -PermitOpen the key may forward only to the listed host:port destinations, and -Restrict is on by default: the line starts with restrict,port-forwarding so the key can open tunnels to those destinations and do nothing else (no shell pty, no agent or X11 forwarding). -From limits the addresses the key may be used from.

Example output: restrict,port-forwarding,permitopen="db.internal:5432" ssh-ed25519 AAAA... secureconnect@host

Invalid destinations or patterns fail with the error ids InvalidPermitOpen and InvalidFromPattern; nothing that could inject another option gets through.
'@
        Parameters  = @{
            PublicKey  = 'The public key line. A WorkspaceSshKey (also a deserialized one) pipes in by its PublicKey property; a string pipes in by value. Default: the workspace key.'
            PermitOpen = 'The only destinations the key may forward to, as host:port (IPv6 as [addr]:port; * for any host or port). Each becomes a permitopen option.'
            From       = 'Addresses, CIDR ranges or host name patterns (with * and ?, ! to negate) that the key may be used from. Becomes one from= option.'
            Restrict   = 'Adds the restrict option (no pty, no agent, X11 or port forwarding except as -PermitOpen re-enables). On by default when -PermitOpen is given; -Restrict:$false turns it off.'
        }
        Inputs      = @('SecureConnect.WorkspaceSshKey', 'System.String')
        Outputs     = @('System.String')
        Examples    = @(
            @{
                Title   = 'Authorize the workspace key for one database'
                Code    = 'Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen ''db.internal:5432'' | ssh admin@bastion.example.com ''cat >> /home/tunnel/.ssh/authorized_keys'''
                Remarks = 'Appends restrict,port-forwarding,permitopen="db.internal:5432" ssh-ed25519 AAAA... to the authorized_keys of the bastion user tunnel, over an administrator''s own SSH login.'
            }
            @{
                Title   = 'Only from the runbook subnet'
                Lab     = $true
                Code    = 'ConvertTo-AuthorizedKey -PermitOpen ''db1:5432'', ''db2:3306'' -From ''10.20.0.0/16'''
                Remarks = 'Two permitopen options and a from= option for the workspace key.'
            }
        )
        Links       = @('Get-WorkspaceSshKey', 'New-WorkspaceSshKey', 'about_SecureConnect')
    }
    'Get-SshServerKey'        = @{
        Synopsis    = 'Gets the host keys an SSH server presents, without logging in (like ssh-keyscan).'
        Description = @'
Connects to the server once per host key type (Ed25519, ECDSA P-256/384/521, RSA) and stops each key exchange as soon as the server has shown its key, so no authentication is ever attempted. Outputs one SshHostKey per key: HostName, Port, Algorithm, Fingerprint (SHA256:..., as ssh-keygen -l prints it) and PublicKey.

Compare the fingerprints with what the bastion's administrator reports (ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub on the bastion) before trusting them with Add-SshKnownHost. An unreachable server gives the error id BastionUnreachable within -ConnectTimeout.
'@
        Parameters  = @{
            HostName       = 'The server''s host name or address. Aliases: -Bastion, -Host.'
            Port           = 'The SSH port (22 by default).'
            ConnectTimeout = 'Seconds that connecting may take (15 by default).'
            JumpHost       = 'Reaches the server through these SSH jump hosts, in order (user@host:port; the user defaults to the current one). Each jump host is logged in to with the workspace key and its host key must already be trusted; the server itself is only asked for its keys.'
        }
        Inputs      = @('System.String')
        Examples    = @(
            @{
                Title   = 'See and trust a bastion''s key'
                Code    = 'Get-SshServerKey bastion.example.com
Get-SshServerKey bastion.example.com | Where-Object Algorithm -eq ssh-ed25519 | Add-SshKnownHost'
                Remarks = 'Shows the fingerprints; after comparing them with the administrator''s, records the Ed25519 key in known_hosts.'
            }
            @{
                Title   = 'Check that trusted hosts still present the trusted keys'
                Lab     = $true
                Code    = 'Get-SshKnownHost | Get-SshServerKey | Format-Table HostName, Port, Algorithm, Fingerprint'
                Remarks = 'Each trusted host and port pipes in by property name; compare the fingerprints with Get-SshKnownHost before a rebuilt bastion makes tunnels fail with HostKeyMismatch.'
            }
        )
        Links       = @('Add-SshKnownHost', 'Start-SshTunnel')
    }
    'Add-SshKnownHost'        = @{
        Synopsis    = 'Trusts an SSH server''s host key, recording it in the workspace''s known_hosts.'
        Description = @'
Records host keys in the workspace's known_hosts file (OpenSSH format: [host]:port when the port is not 22), which Start-SshTunnel checks under its default Strict policy. Keys come from Get-SshServerKey through the pipeline, from -HostName -Port -PublicKey, or from an existing known_hosts file with -Path (hashed entries included).

Adding a key that is already trusted changes nothing. A different key of the same type for the same host is refused with the error id KnownHostConflict unless -Force replaces it. Writes are atomic and safe when several processes write at once.
'@
        Parameters  = @{
            HostName  = 'The host the key belongs to, as tunnels will name it. Aliases: -Bastion, -Host.'
            Port      = 'The SSH port (22 by default).'
            PublicKey = 'The key as ''type base64'', as in a .pub file or a known_hosts line; Get-SshServerKey outputs it.'
            Path      = 'An OpenSSH known_hosts file to import (for example ~/.ssh/known_hosts).'
            Force     = 'Replaces a different key of the same type already trusted for the host (after the host key was really replaced).'
        }
        Inputs      = @('SecureConnect.SshHostKey')
        Examples    = @(
            @{
                Title   = 'Trust what the server presents'
                Code    = 'Get-SshServerKey -HostName bastion.example.com -Port 2222 | Add-SshKnownHost'
                Remarks = 'Records every key type of bastion.example.com:2222 as [bastion.example.com]:2222.'
            }
            @{
                Title   = 'Import the keys a team already trusts'
                Code    = 'Add-SshKnownHost -Path ~/.ssh/known_hosts'
                Remarks = 'Merges the file into the workspace''s known_hosts without duplicates.'
            }
        )
        Links       = @('Get-SshServerKey', 'Get-SshKnownHost', 'Remove-SshKnownHost')
    }
    'Get-SshKnownHost'        = @{
        Synopsis    = 'Gets the trusted host keys in the workspace''s known_hosts.'
        Description = @'
Lists every trusted host key, or with -HostName the keys trusted for one host and port (hashed entries are matched too). Each SshKnownHost shows the host field as written, whether it is hashed, the marker (@revoked, @cert-authority), the key type, fingerprint, public key and line number.
'@
        Parameters  = @{
            HostName = 'Only the keys for this host. Aliases: -Bastion, -Host.'
            Port     = 'The SSH port of that host (22 by default).'
        }
        Examples    = @(
            @{
                Title   = 'All trusted keys'
                Lab     = $true
                Code    = 'Get-SshKnownHost'
                Remarks = 'Lists the workspace''s known_hosts.'
            }
            @{
                Title   = 'One bastion on port 2222'
                Code    = 'Get-SshKnownHost -HostName bastion.example.com -Port 2222'
                Remarks = 'Shows the keys trusted for [bastion.example.com]:2222.'
            }
            @{
                Title   = 'Which trusted keys are RSA keys?'
                Lab     = $true
                Code    = 'Get-SshKnownHost | Where-Object Algorithm -eq ssh-rsa | Format-Table HostName, Port, Fingerprint, LineNumber'
                Remarks = 'Lists the hosts still trusted by an RSA key, with the line of known_hosts that holds each.'
            }
        )
        Links       = @('Add-SshKnownHost', 'Remove-SshKnownHost')
    }
    'Remove-SshKnownHost'     = @{
        Synopsis    = 'Stops trusting an SSH server''s host keys.'
        Description = @'
Removes the known_hosts lines that match the host and port (and key type, with -Algorithm), hashed lines included. Use it when a bastion's host key was really replaced, then trust the new key with Get-SshServerKey | Add-SshKnownHost. Nothing to remove gives the error id KnownHostNotFound.
'@
        Parameters  = @{
            HostName  = 'The host. Aliases: -Bastion, -Host.'
            Port      = 'The SSH port (22 by default).'
            Algorithm = 'Only keys of this type, e.g. ssh-rsa.'
        }
        Inputs      = @('SecureConnect.SshKnownHost')
        Examples    = @(
            @{
                Title   = 'Replace a bastion''s key after a planned rebuild'
                Code    = 'Remove-SshKnownHost -HostName bastion.example.com
Get-SshServerKey bastion.example.com | Add-SshKnownHost'
                Remarks = 'Forgets the old key and trusts the new one.'
            }
            @{
                Title   = 'Stop trusting every RSA host key'
                Lab     = $true
                Code    = 'Get-SshKnownHost | Where-Object Algorithm -eq ssh-rsa | Remove-SshKnownHost'
                Remarks = 'Known-host entries pipe in by HostName, Port and Algorithm, so only their RSA keys are removed.'
            }
        )
        Links       = @('Get-SshKnownHost', 'Add-SshKnownHost')
    }
    'Start-SshTunnel'         = @{
        Synopsis    = 'Starts an SSH tunnel from a local port through a bastion to a host and port on a private network.'
        Description = @'
Connects to the bastion (through -JumpHost hops first, if any) with the workspace key, verifies each hop's host key, checks once that the bastion forwards to RemoteHost:RemotePort, and forwards 127.0.0.1:<LocalPort> there as seen from the bastion. Each local connection is its own SSH channel with its own flow control, so a client that stops reading slows only its own connection. The cipher is the fastest both sides allow (AES-GCM first). The tunnel runs in the background of the PowerShell process and is shared by every runspace in it (ForEach-Object -Parallel, thread jobs).

Host keys: Strict (default) accepts only keys in the workspace's known_hosts and fails with HostKeyUnknown, whose message shows the fingerprint and the command that trusts it; AcceptNew trusts an unknown host on first use and records it (HostKeyNewlyTrusted on the tunnel, and Verbose, say so); -HostKeyFingerprint pins the bastion's key. A key that differs from the trusted one fails with HostKeyMismatch under every policy, before any authentication is attempted. Nothing ever prompts.

Supervision: the bastion connection is probed every -KeepAliveInterval seconds with a request that the server must answer, so a silent bastion is detected within about two intervals and a closed connection at once. The tunnel then goes Reconnecting, reconnects with backoff (host keys verified again) on the same local port, and counts Reconnects; clients that connect meanwhile wait up to -ConnectTimeout. Up means new connections are forwarded; LastError is cleared once the tunnel is Up again. A changed host key ends reconnecting (Failed); -NoReconnect turns reconnecting off. Stop-SshTunnel always wins: a stopped tunnel never comes back, and a login still in progress is closed. Errors from the background go to LastError and as warnings to the next SecureConnect command.

Names are free text: -Name 'My SSH tunnel' sets MY_SSH_TUNNEL_LOCAL_HOST and MY_SSH_TUNNEL_LOCAL_PORT (upper-cased, every character other than A-Z and 0-9 as _, runs of _ kept), removed when the tunnel stops. A name whose variables another tunnel's name already sets is refused (TunnelNameConflict).

Reuse: a request returns the tunnel that is already up (or reconnecting, or being started by another runspace at the same moment) only when everything that matters is the same: the hops and users, the remote end, the host-key policy and pinned fingerprint, the workspace (its known_hosts), the key (-KeyPath and its content), -KeepAliveInterval and -NoReconnect, and -LocalPort when one is given; and only while the host keys it verified are still trusted. Otherwise a new tunnel starts and checks everything again. A different -Name on an identical tunnel adds that name (and its variables) to it; Stop-SshTunnel by any of its names stops it.

Saved tunnels: -Integration starts the tunnel of saved integrations (New-SecureIntegration -Type SshTunnel) in the background, named after the integration, with the supervision and reconnects of an integration's tunnel (the workspace key, Strict host keys or the integration's pinned fingerprint, a probe every 30 seconds), and sets <NAME>_LOCAL_HOST and <NAME>_LOCAL_PORT ('My SSH tunnel' sets MY_SSH_TUNNEL_LOCAL_HOST and MY_SSH_TUNNEL_LOCAL_PORT). Starting it again returns the running tunnel. Integration objects pipe in (also deserialized ones, from a job or remoting). Wildcards select SshTunnel integrations only, so -Integration * in a runbook's first line starts every saved tunnel and skips the databases; a wildcard that matches none is no error. A name without wildcards may also be a database integration with an SSH bastion: its tunnel to the database's host and port starts under the integration's name (the same tunnel its queries use), for psql or another client; a database integration without a bastion is SshBastionRequired. A name that does not exist is IntegrationNotFound. With -Integration, the error of one integration is non-terminating, so the others still start; with the other parameters every error is terminating.

Errors: HostKeyUnknown, HostKeyMismatch, SshAuthenticationFailed (naming user, bastion and the key offered), BastionUnreachable (within -ConnectTimeout), ForwardRefused (the bastion refuses the destination, e.g. permitopen; the message names the permitopen entry that would allow it), RemoteUnreachable (the bastion cannot connect to the remote end), LocalPortInUse, WorkspaceKeyNotFound, TunnelNameInUse, TunnelNameConflict, InvalidTunnelName, InvalidJumpHost, SshLibraryIncompatible; before connecting, -Bastion is read as host, user@host, host:port or user@host:port: a user or port that differs from -User or -BastionPort is ParameterConflict, no user at all SshUserRequired, a value that is not a host InvalidHostName; with -Integration also IntegrationNotFound and SshBastionRequired.

Progress: while it connects, Write-Progress names each SSH hop ("Connecting to the jump host ... (SSH hop 1 of 2)", then the bastion) and the check of the forward, once a wait has lasted about a second; nothing under $ProgressPreference = 'SilentlyContinue'.
'@
        Parameters  = @{
            Integration        = 'Saved integrations whose tunnels to start: names (wildcards select SshTunnel integrations only) or Integration objects from Get-SecureIntegration, which pipe in (deserialized ones too). The route, port and host-key pin come from the integration; the tunnel is named after it.'
            Bastion            = 'The bastion (the last SSH hop): host, user@host, host:port or user@host:port (user@[ipv6]:port), as -JumpHost and New-SecureIntegration -SshBastion take it. A user or port given here and a different one in -User or -BastionPort is ParameterConflict; no user in either is SshUserRequired; a value that is not a host is InvalidHostName. Nothing connects then.'
            BastionPort        = 'The bastion''s SSH port (22 by default), unless -Bastion names it (host:port).'
            User               = 'The user on the bastion (and the default user of -JumpHost hops), unless -Bastion names it (user@host).'
            RemoteHost         = 'The host the bastion connects to, as the bastion resolves it (e.g. db.internal).'
            RemotePort         = 'The port the bastion connects to.'
            LocalPort          = 'The local port on 127.0.0.1. 0 (default) takes a free port; the tunnel object and the environment variables tell which.'
            Name               = 'A name for the tunnel, free text of up to 128 characters (''My SSH tunnel''); also sets <NAME>_LOCAL_HOST and <NAME>_LOCAL_PORT in the process environment (MY_SSH_TUNNEL_LOCAL_HOST). A second name on an identical tunnel is added to it.'
            KeyPath            = 'A private key file to use instead of the workspace key (OpenSSH or PEM; owner-only permissions).'
            KeyPassphrase      = 'The passphrase of an encrypted key. It is used in memory only, once, when the tunnel starts.'
            JumpHost           = 'Intermediate bastions to go through first, in order, as user@host[:port]. Each hop''s host key is checked.'
            HostKeyPolicy      = 'Strict (default): only keys in known_hosts. AcceptNew: trust an unknown host on first use and record its key; a changed key still fails.'
            HostKeyFingerprint = 'Pins the bastion''s host key to this SHA256 fingerprint (as ssh-keygen -l prints it); any other key fails with HostKeyMismatch.'
            KeepAliveInterval  = 'Seconds between liveness probes of the bastion connection (30 by default).'
            ConnectTimeout     = 'Seconds that connecting may take (15 by default); also how long a client waits while the tunnel reconnects.'
            NoReconnect        = 'Do not reconnect when the bastion connection is lost: the tunnel goes Failed.'
        }
        Examples    = @(
            @{
                Title   = 'A tunnel to a private PostgreSQL'
                Code    = 'Get-SshServerKey bastion.example.com | Add-SshKnownHost
$t = Start-SshTunnel -Bastion bastion.example.com -User tunnel -RemoteHost db.internal -RemotePort 5432
psql "host=127.0.0.1 port=$($t.LocalPort) dbname=app user=report sslmode=require"'
                Remarks = 'Trusts the bastion, starts the tunnel on a free local port and connects psql through it.'
            }
            @{
                Title   = 'Any TCP service, exposed as environment variables'
                Code    = 'Start-SshTunnel -Name redis -Bastion bastion.example.com -User tunnel -RemoteHost cache.internal -RemotePort 6379 | Out-Null
redis-cli -h $env:REDIS_LOCAL_HOST -p $env:REDIS_LOCAL_PORT ping'
                Remarks = 'Tools in the process find the tunnel through REDIS_LOCAL_HOST and REDIS_LOCAL_PORT.'
            }
            @{
                Title   = 'Through a jump host, trusting new hosts on first use'
                Code    = 'Start-SshTunnel -JumpHost ops@edge.example.com -Bastion bastion.internal -User tunnel -RemoteHost db.internal -RemotePort 3306 -HostKeyPolicy AcceptNew'
                Remarks = 'Connects to edge.example.com, then through it to bastion.internal, and forwards to db.internal:3306.'
            }
            @{
                Title   = 'A saved SSH Tunnel integration, used through its variables'
                Code    = 'Start-SshTunnel -Integration ''My SSH tunnel'' | Out-Null
Invoke-RestMethod "http://$($env:MY_SSH_TUNNEL_LOCAL_HOST):$($env:MY_SSH_TUNNEL_LOCAL_PORT)/api/2.0/mlflow/experiments/search?max_results=10"'
                Remarks = 'Starts the tunnel New-SecureIntegration -Type SshTunnel saved (or returns the one that is up) and calls the service through MY_SSH_TUNNEL_LOCAL_HOST and MY_SSH_TUNNEL_LOCAL_PORT. Get-SecureIntegration ''My SSH tunnel'' | Format-List shows the variables and a ready line for PowerShell and Python.'
            }
            @{
                Title   = 'A runbook''s first line: every saved tunnel'
                Lab     = $true
                Code    = '$ErrorActionPreference = ''Stop''
Start-SshTunnel -Integration * | Format-Table Name, State, LocalPort'
                Remarks = 'Starts every SshTunnel integration of the workspace (database integrations are skipped) and stops the runbook if one cannot start.'
            }
            @{
                Title   = 'From the pipeline, or a database''s tunnel for psql'
                Code    = 'Get-SecureIntegration ''My SSH tunnel'' | Start-SshTunnel
Start-SshTunnel -Integration orders | Out-Null
psql "host=$env:ORDERS_LOCAL_HOST port=$env:ORDERS_LOCAL_PORT dbname=orders user=report sslmode=require"'
                Remarks = 'An Integration object binds to -Integration. Named without wildcards, the database integration orders (with an SSH bastion) gets its tunnel named orders, the one its queries use.'
            }
        )
        Links       = @('Get-SshTunnel', 'Stop-SshTunnel', 'Test-SshTunnel', 'Get-SshServerKey', 'New-SecureIntegration', 'about_SecureConnect')
    }
    'Get-SshTunnel'           = @{
        Synopsis    = 'Gets the SSH tunnels of this PowerShell process.'
        Description = @'
Outputs the tunnels started in this process, from any runspace, as live SshTunnel objects: State, Reconnects, LastError and ActiveConnections change as the tunnels work. Filter with -Name (wildcards) or -Id. A name or id that matches nothing writes the error TunnelNotFound.
'@
        Parameters  = @{
            Name = 'Tunnel names; wildcards allowed.'
            Id   = 'Tunnel ids.'
        }
        Examples    = @(
            @{
                Title   = 'All tunnels'
                Lab     = $true
                Code    = 'Get-SshTunnel'
                Remarks = 'Lists every tunnel with its state and endpoints.'
            }
            @{
                Title   = 'Why is a tunnel not up?'
                Code    = 'Get-SshTunnel -Name reporting | Format-List State, Reconnects, LastError'
                Remarks = 'Shows the last error the supervisor saw.'
            }
        )
        Links       = @('Start-SshTunnel', 'Stop-SshTunnel')
    }
    'Stop-SshTunnel'          = @{
        Synopsis    = 'Stops SSH tunnels and frees their local ports.'
        Description = @'
Stops tunnels piped from Get-SshTunnel or Start-SshTunnel, or named with -Name or -Id: closes the local port and every connection through it, disconnects from the bastion, and removes the tunnel''s environment variables. Remove-Module SecureConnect and the end of the process stop every tunnel too.
'@
        Parameters  = @{
            Tunnel   = 'Tunnels to stop.'
            Name     = 'Names of tunnels to stop; wildcards allowed.'
            Id       = 'Ids of tunnels to stop. Objects with an Id property (also deserialized ones) pipe in by property name.'
            PassThru = 'Outputs the stopped tunnels.'
        }
        Inputs      = @('SecureConnect.SshTunnel')
        Examples    = @(
            @{
                Title   = 'Stop everything'
                Lab     = $true
                Code    = 'Get-SshTunnel | Stop-SshTunnel'
                Remarks = 'Stops every tunnel of the process.'
            }
            @{
                Title   = 'See first'
                Lab     = $true
                Code    = 'Stop-SshTunnel -Name report* -WhatIf'
                Remarks = 'Names the tunnels that would be stopped.'
            }
        )
        Links       = @('Start-SshTunnel', 'Get-SshTunnel')
    }
    'Test-SshTunnel'          = @{
        Synopsis    = 'Tests that a tunnel''s bastion forwards a connection to the remote end.'
        Description = @'
Probes the bastion connection (RoundTripMs is the SSH round trip to the bastion) and opens a connection through the tunnel. Forwarded is true when the bastion opened the forward to the remote host and port; when it refused, Reason says why, for example that the bastion's permitopen (authorized_keys) or AllowTcpForwarding does not allow that destination.
'@
        Parameters  = @{
            Tunnel = 'Tunnels to test.'
            Name   = 'Names of tunnels to test; wildcards allowed.'
            Id     = 'Ids of tunnels to test.'
        }
        Inputs      = @('SecureConnect.SshTunnel')
        Examples    = @(
            @{
                Title   = 'Test every tunnel'
                Lab     = $true
                Code    = 'Get-SshTunnel | Test-SshTunnel'
                Remarks = 'One result per tunnel, with the reason for each failure.'
            }
            @{
                Title   = 'Start a saved tunnel and test it at once'
                Lab     = $true
                Code    = 'Start-SshTunnel -Integration orders | Test-SshTunnel | Format-List Name, Forwarded, RoundTripMs, Reason'
                Remarks = 'Starts the tunnel of the integration orders (or returns the one that is up) and checks that the bastion forwards to the database.'
            }
        )
        Links       = @('Start-SshTunnel', 'Get-SshTunnel')
    }
    'New-SecureIntegration'   = @{
        Synopsis    = 'Registers a data source: its engine, address, SSL policy and, on a private network, its SSH bastion.'
        Description = @'
Registers an integration in the workspace (workspace.json; never a password). The credential given with -Credential is kept in this process's memory for the session; -CredentialSecret names a SecretManagement secret read at query time.

With -SshBastion, the first query starts a tunnel through the bastion with the workspace key (or reuses the identical one that is up) and the driver connects through it, while the certificate is still checked against -HostName. The CA certificate given with -CaCertificatePath is validated and copied into the workspace.

ClickHouse is spoken over its HTTP interface, where TLS is HTTPS on a port of its own. Without -Port the integration is stored with 8443 (HTTPS); under Preferred a server that does not speak TLS there (the port refused or closed, or it answered the TLS handshake in plain HTTP) is queried over plain HTTP on 8123, and Test-SecureConnection says Encrypted False with a warning. A certificate failure never causes that fallback, and Required, VerifyCA and VerifyFull never fall back (SslNotAvailable). With -Port, that port serves both, and before TLS it is asked GET /ping in plain HTTP without credentials (only the Host header, which SNI shows anyway): a plain HTTP port answers at once, where it could otherwise stay silent at the ClientHello until the connect timeout. Through a bastion, the plain port gets a tunnel of its own through the same bastion, started only when the fallback happens (its authorized_keys line needs permitopen for both ports). The TLS server name (SNI), the Host header and the certificate check all use -HostName, also through the tunnel. The login travels in the X-ClickHouse-User and X-ClickHouse-Key headers, never in the URL.

Trino (-Type Trino) is spoken over its client REST protocol by SecureConnect itself, where TLS is HTTPS on a port of its own. Without -Port the integration is stored with 8443 (HTTPS); under Preferred a coordinator that does not speak TLS there is queried over plain HTTP on 8080 (with -Port, that port serves both and is first asked GET /v1/info in plain HTTP, without credentials), as for ClickHouse; a certificate failure never falls back, and Required and above never do (SslNotAvailable). A password is sent only over HTTPS, as HTTP Basic, as Trino itself accepts it: Preferred with a password on a coordinator without TLS is SslNotAvailable before anything is sent, never a plaintext login. The user is X-Trino-User (the credential's user name). -Database is the catalog ('hive') or catalog and schema ('hive.sales'). -Option for Trino sets the session of the queries, sent as Trino's client headers: Catalog, Schema (both win over -Database), Source (SecureConnect when omitted), ClientTags ('etl,nightly'), ClientInfo, TimeZone ('Europe/Paris'), Language and SessionProperties ('query_max_run_time=10m,join_distribution_type=BROADCAST'); TLS keys (SSL, SSLVerification, SSLTrustStorePath, ...) are SslPolicyViolation, the endpoint, login, roles, extra credentials, proxies and Kerberos InvalidOption. The TLS server name (SNI), the Host header and the certificate check all use -HostName, also through the tunnel.

MongoDB (-Type MongoDB, port 27017) is spoken with the official MongoDB driver, always as a direct connection (directConnection=true) to the one server -HostName names: through a tunnel the driver would otherwise follow a replica set's member addresses out of the tunnel. To query a secondary, register that member itself. TLS is tried in every SSL mode and the certificate is checked by SecureConnect: Required encrypts without checking it, VerifyCA checks the chain against the uploaded CA (-CaCertificatePath; the system store without one), VerifyFull also checks that the certificate names -HostName, also through a tunnel. Under Preferred a server that closes the connection at the TLS handshake, before any certificate came, is used in plaintext, and Test-SecureConnection says Encrypted False with a warning; a refused certificate or a timeout never falls back, and Required and above never do (SslNotAvailable). The connect and server selection timeouts are SecureConnect's connect timeout (15 s), not the driver's 30 s; one pooled connection (the driver's monitor holds a second). The login is SCRAM (the strongest variant the server offers) against authSource admin unless -Option @{ AuthSource = 'orders' } says otherwise. -Option for MongoDB allows AuthSource, AuthMechanism (SCRAM-SHA-1 or SCRAM-SHA-256), AppName, ReadPreference (Primary, PrimaryPreferred, Secondary, SecondaryPreferred, Nearest: what a mongos is asked for) and MaxTimeMS (the server-side limit of -Collection queries and of find, aggregate, count and distinct commands); TLS keys are SslPolicyViolation, the endpoint, topology, pool and timeout keys InvalidOption.

Dremio (-Type Dremio, port 32010) is spoken over Arrow Flight (gRPC over HTTP/2) with Apache.Arrow.Flight and Grpc.Net.Client. The socket goes to the route's end (the tunnel's 127.0.0.1 port) while the address, the TLS server name (SNI) and the name VerifyFull checks are -HostName. TLS is tried in every SSL mode (ALPN h2) and the certificate is checked by SecureConnect as for the other engines; under Preferred a server whose TLS handshake fails before any certificate came is used over plain HTTP/2 (h2c), and Test-SecureConnection says Encrypted False with a warning; a refused certificate or a timeout never falls back, and Required and above never do (SslNotAvailable). The login is Dremio's: by default -Credential is sent once as authorization: Basic on a Handshake call, and the bearer token the server returns (and its session cookie) is sent on every later call; Dremio also takes a personal access token as the password of a basic login. With -Option @{ AuthMode = 'Token' } the password of -Credential (or -CredentialSecret) is a token (a personal access token, or an OAuth access token) sent as authorization: Bearer on every call, and the user name is not sent. -Database is Dremio's default schema (the schema header, such as 'lake.sales'). -Option for Dremio allows AuthMode (Basic or Token), Schema (as -Database), RoutingTag, RoutingQueue and Engine, sent as Dremio's session headers (routing_tag, routing_queue, engine); the TLS keys of Dremio's drivers (useEncryption, disableCertificateVerification, trustedCerts, ...) are SslPolicyViolation, the endpoint, login and timeout keys InvalidOption. A wrong login is DatabaseAuthenticationFailed (gRPC Unauthenticated); connecting and logging in are bounded by the connect timeout (15 s).

-Type SshTunnel saves an SSH tunnel to any TCP service (an HTTP API such as MLflow, Redis, a message queue) that Start-SshTunnel -Integration starts. It needs -HostName, -Port (there is no default port: PortRequired) and -SshBastion with -SshUser (SshBastionRequired); -SshJumpHost and -SshHostKeyFingerprint apply too. SecureConnect does not speak what the tunnel carries, so it has no SSL mode, CA, revocation list, database, login or options: -SslMode, -Credential, -CredentialSecret, -CaCertificatePath, -CrlPath, -Database and -Option are refused (ParameterNotApplicable) and nothing is written. Its name gives the variables <NAME>_LOCAL_HOST and <NAME>_LOCAL_PORT; a name whose variables another saved tunnel's name sets is refused (TunnelNameConflict). The Integration object shows them (LocalHostVariable, LocalPortVariable) and a ready line for PowerShell and Python (PowerShellExample, PythonExample; Format-List shows them); its SslMode is empty and SslModeSource NotApplicable, Get-SslPolicy does not list it and Set-SslPolicy refuses it. Invoke-SecureQuery and Test-SecureConnection refuse it (IntegrationNotQueryable).

Integration objects pipe in: every setting binds by property name (HostName, Port, Database, SslMode, CaCertificate, CrlPath, SshBastion and SshBastionPort, SshUser, SshJumpHost, SshHostKeyFingerprint, Options, CredentialSecret), so Get-SecureIntegration orders | New-SecureIntegration -Name orders-copy copies an integration, and Get-SecureIntegration | Export-Clixml with Import-Clixml | New-SecureIntegration moves a workspace's integrations to another (the CA and CRL files are copied from the paths the objects name). Settings an integration does not have come empty and count as not given. The copy takes the source's effective SSL mode as its own (also one it had from the workspace default); a session credential is never copied: give -Credential, or use -CredentialSecret.

Errors: IntegrationExists, InvalidIntegrationName, PortRequired, SshBastionRequired, ParameterNotApplicable, TunnelNameConflict, CaCertificateInvalid, CaCertificateExpired, CaCertificateNotFound, SslPolicyViolation and InvalidOption (for -Option), SshUserRequired, WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module), WorkspaceNotWritable (the workspace folder, workspace.json or its lock file cannot be created or written; the message names the path).
'@
        Parameters  = @{
            Name = 'The integration''s name: up to 64 letters, digits, spaces, _ . - starting with a letter or digit (''My SSH tunnel'').'
            Type = 'The engine: PostgreSQL, Redshift (port 5439), MySQL, MariaDB, MindsDB (port 47335), SqlServer, ClickHouse (HTTPS 8443, plain HTTP 8123 as Preferred''s fallback; see the description), Trino (HTTPS 8443, plain HTTP 8080 as Preferred''s fallback, never with a password; see the description) MongoDB (27017, a direct connection to that one server; see the description) or Dremio (Arrow Flight, 32010; see the description); or SshTunnel, a saved tunnel to any TCP service (needs -Port and -SshBastion).'
            HostName = 'The database server''s host name, as its certificate names it (VerifyFull checks this name, also through a tunnel): a DNS name or an IP address, nothing else. A port in it (''db:5432''), a URL (''postgres://db'') or a character no host name holds (a space, /, @) is InvalidHostName, saying what to give instead, and nothing is written. Aliases: -Host, -Server.'
            Port = 'The database port; the engine''s usual port when omitted. ClickHouse and Trino: the HTTPS port (8443 when omitted, with 8123 (ClickHouse) or 8080 (Trino) as Preferred''s plain HTTP fallback); any other port serves both. Required for -Type SshTunnel (the port of the service the tunnel reaches).'
            Database = 'The database to connect to. Not for -Type SshTunnel.'
            Credential = 'The login. The password is kept in this process''s memory only and never written anywhere; runbooks pass -Credential to Invoke-SecureQuery or use -CredentialSecret. Not for -Type SshTunnel.'
            CredentialSecret = 'The name of a SecretManagement secret (a PSCredential, or a SecureString password for the integration''s user) read with Get-Secret at query time. Only the name is stored. Not for -Type SshTunnel.'
            SslMode = 'Preferred (TLS when offered), Required (TLS, certificate not checked), VerifyCA (chain validated against the uploaded CA, or the system store), VerifyFull (VerifyCA plus the host name; Strict is accepted as its alias). The workspace default when omitted. Not for -Type SshTunnel (ParameterNotApplicable).'
            CaCertificatePath = 'A PEM CA certificate to validate the server against. It is checked (a certificate, not a key, not expired) and copied into the workspace''s ca/ folder. Alias -CaCertificate: a piped integration''s CaCertificate binds as the file it describes. Not for -Type SshTunnel.'
            CrlPath           = 'A certificate revocation list from the CA (PEM or DER, one or several lists), as libpq''s sslcrl. It is read, checked (not every list out of date) and copied into the workspace''s ca/ folder; under VerifyCA and VerifyFull the server certificate must then be cleared by a current list from its issuer, signed by that issuer, or the connection is refused (SslCertificateInvalid). Nothing is fetched online. Errors: CrlNotFound, CrlInvalid. Not for -Type SshTunnel.'
            Option = 'Extra driver options as a hashtable (for example @{ CommandTimeout = 120 }). Options can never change TLS settings (SslPolicyViolation), the endpoint or credentials (InvalidOption), and are stored in clear, so never secrets. Alias -Options: a piped integration''s Options bind here. ClickHouse: server settings that only limit or tune a query, sent with each request (max_threads, max_block_size, max_result_rows, max_result_bytes, result_overflow_mode, max_rows_to_read, max_bytes_to_read, max_memory_usage, max_execution_time, readonly, priority and a few more limits); format, session, parameter and any other settings are InvalidOption, and a value must be a number or one word. Trino: Catalog, Schema, Source, ClientTags, ClientInfo, TimeZone, Language and SessionProperties (''name=value,name2=value2''), sent as Trino''s client headers; SSL keys are SslPolicyViolation, User, Password, AccessToken, ExtraCredentials, roles, proxies and Kerberos InvalidOption. MongoDB: AuthSource (admin when omitted), AuthMechanism (SCRAM-SHA-1 or SCRAM-SHA-256), AppName, ReadPreference and MaxTimeMS; TLS keys (tls, ssl, tlsInsecure, tlsAllowInvalidCertificates, tlsCAFile, ...) are SslPolicyViolation, and directConnection, replicaSet, timeouts and pool sizes InvalidOption. Dremio: AuthMode (Basic, the default, or Token: the password of -Credential is a token sent as a bearer), Schema, RoutingTag, RoutingQueue and Engine, sent as Dremio''s session headers; useEncryption, disableCertificateVerification, trustedCerts and other TLS keys are SslPolicyViolation. Not for -Type SshTunnel.'
            SshBastion = 'The SSH bastion the database is reached through, as host[:port] (or user@host[:port]). The first query starts the tunnel (or reuses the one that is up) with the workspace key; the bastion''s host key must be trusted (Add-SshKnownHost) or pinned. Required for -Type SshTunnel.'
            SshBastionPort = 'The bastion''s SSH port when -SshBastion does not write one (22 when neither does); a different port in both is ParameterConflict, and a port other than 22 without -SshBastion is ParameterConflict too. A piped integration''s SshBastionPort binds here.'
            SshUser = 'The user on the bastion.'
            SshJumpHost = 'Jump hosts before the bastion, as user@host[:port].'
            SshHostKeyFingerprint = 'Pins the bastion''s host key (SHA256:... as ssh-keygen -l prints it).'
        }
        Examples    = @(
            @{
                Title   = 'Copy an integration, then point the copy at another database'
                Code    = 'Get-SecureIntegration orders | New-SecureIntegration -Name orders-archive -Database orders_2025 -WhatIf'
                Remarks = 'The copy binds every setting of orders from the pipeline (host, port, SSL mode, CA and CRL, bastion, options, secret name); -Database given on the command line wins over the piped one. -WhatIf shows what would be registered; drop it to register the copy.'
                Lab     = $true
            }
            @{
                Title   = 'A saved SSH tunnel to an MLflow server'
                Code    = 'New-SecureIntegration -Type SshTunnel -Name ''My SSH tunnel'' -HostName mlflow.internal -Port 5000 -SshBastion bastion.example.com -SshUser tunnel
Start-SshTunnel -Integration ''My SSH tunnel'' | Out-Null
Invoke-RestMethod "http://$($env:MY_SSH_TUNNEL_LOCAL_HOST):$($env:MY_SSH_TUNNEL_LOCAL_PORT)/health"'
                Remarks = 'Saves the tunnel in the workspace (no SSL mode, no credential), starts it, and reaches MLflow through MY_SSH_TUNNEL_LOCAL_HOST and MY_SSH_TUNNEL_LOCAL_PORT.'
            }
            @{
                Title   = 'A saved tunnel to Redis through a jump host, and how to use it'
                Code    = 'New-SecureIntegration -Type SshTunnel -Name cache -HostName redis.internal -Port 6379 -SshBastion tunnel@bastion.internal -SshJumpHost ops@edge.example.com
Get-SecureIntegration cache | Format-List LocalHostVariable, LocalPortVariable, PowerShellExample, PythonExample'
                Remarks = 'Shows CACHE_LOCAL_HOST and CACHE_LOCAL_PORT and a ready line for PowerShell and for Python (requests) that uses them.'
            }
            @{
                Title   = 'Dremio behind a bastion, strict TLS, user and password'
                Code    = 'New-SecureIntegration -Name lake -Type Dremio -HostName dremio.internal -Database lake.sales -Credential (Get-Credential analyst) -SslMode VerifyFull -CaCertificatePath ./dremio-ca.pem -SshBastion bastion.example.com -SshUser tunnel -Option @{ RoutingTag = ''reports'' }'
                Remarks = 'Arrow Flight on 32010 through the tunnel; the certificate must chain to dremio-ca.pem and name dremio.internal. The password is sent once (basic), then the bearer token Dremio returns; queries run in lake.sales with the routing tag reports.'
            }
            @{
                Title   = 'Dremio with a personal access token from a vault'
                Code    = 'New-SecureIntegration -Name lake -Type Dremio -HostName dremio.example.com -CredentialSecret dremio-pat -SslMode VerifyFull -Option @{ AuthMode = ''Token'' }'
                Remarks = 'The secret dremio-pat (a PSCredential whose password is the token) is read with Get-Secret at each query and sent as authorization: Bearer; its user name is not sent.'
            }
            @{
                Title   = 'MongoDB behind a bastion, strict TLS'
                Code    = 'New-SecureIntegration -Name shopdb -Type MongoDB -HostName mongo1.internal -Database shop -Credential (Get-Credential report) -SslMode VerifyFull -CaCertificatePath ./mongo-ca.pem -SshBastion bastion.example.com -SshUser tunnel -Option @{ AuthSource = ''shop'' }'
                Remarks = 'A direct connection to mongo1.internal through the tunnel; the certificate must chain to mongo-ca.pem and name mongo1.internal; the login is checked in the shop database.'
            }
            @{
                Title   = 'A private PostgreSQL behind a bastion, strict TLS'
                Code    = 'New-SecureIntegration -Name orders -Type PostgreSQL -HostName db.internal -Database orders -Credential (Get-Credential report) -SslMode VerifyFull -CaCertificatePath ./rds-ca.pem -SshBastion bastion.example.com -SshUser tunnel'
                Remarks = 'Queries to orders tunnel through the bastion and validate the server certificate against rds-ca.pem and the name db.internal.'
            }
            @{
                Title   = 'Trino behind a bastion, strict TLS, with its session'
                Code    = 'New-SecureIntegration -Name lake -Type Trino -HostName trino.internal -Database hive.sales -Credential (Get-Credential analyst) -SslMode VerifyFull -CaCertificatePath ./trino-ca.pem -SshBastion bastion.example.com -SshUser tunnel -Option @{ Source = ''runbook''; SessionProperties = ''query_max_run_time=10m'' }'
                Remarks = 'HTTPS on 8443 through the tunnel; the certificate must chain to trino-ca.pem and name trino.internal; every query runs in catalog hive, schema sales, with the password as HTTP Basic.'
            }
            @{
                Title   = 'MySQL with the password in a vault'
                Code    = 'New-SecureIntegration -Name shop -Type MySQL -HostName mysql.example.com -Database shop -CredentialSecret shop-reader -SslMode Required'
                Remarks = 'The password is read with Get-Secret shop-reader at each query.'
            }
        )
        Links       = @('Invoke-SecureQuery', 'Set-SslPolicy', 'Test-SecureConnection', 'Get-SecureIntegration')
    }
    'Get-SecureIntegration'   = @{
        Synopsis    = 'Gets the workspace''s integrations.'
        Description = @'
Outputs the registered integrations with their effective SSL mode (and where it comes from), CA certificate (subject, thumbprint, expiry), SSH settings, options, and whether a credential is held for this session. Never a password. An integration with an SSH bastion also shows the variables Start-SshTunnel -Integration sets (LocalHostVariable, LocalPortVariable); a saved SSH tunnel (-Type SshTunnel) shows a ready line of PowerShell and of Python that uses them (PowerShellExample, PythonExample), and no SSL mode (SslModeSource NotApplicable). Format-List shows these; the table stays short.

Errors: IntegrationNotFound, WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module).
'@
        Parameters  = @{
            Name = 'Names; wildcards allowed.'
        }
        Examples    = @(
            @{
                Title   = 'Query every integration'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Invoke-SecureQuery -Query ''select 1'''
                Remarks = 'Runs the query on each integration.'
            }
            @{
                Title   = 'Where each integration goes, and how it is secured'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Sort-Object Type | Format-Table Name, Type, HostName, Port, SslMode, SslModeSource, SshBastion'
                Remarks = 'One line per integration: the engine, the address, the effective SSL mode and where it comes from (Integration, Default, BuiltIn), and the bastion.'
            }
        )
        Links       = @('New-SecureIntegration', 'Set-SecureIntegration')
    }
    'Set-SecureIntegration'   = @{
        Synopsis    = 'Changes an integration.'
        Description = @'
Changes the given settings of an integration and keeps the others. A new -Credential replaces the session's credential; -NoSsh removes the bastion.

A saved SSH tunnel (-Type SshTunnel) keeps the rules of New-SecureIntegration: -SslMode, -Credential, -CredentialSecret, -CaCertificatePath, -CrlPath, -Database and -Option are refused (ParameterNotApplicable) and -NoSsh without a new -SshBastion is SshBastionRequired; nothing is written then.
'@
        Parameters  = @{
            Name = 'The integration to change. Integration objects pipe in by their Name.'
            HostName = 'The database server''s host name, as its certificate names it (VerifyFull checks this name, also through a tunnel): a DNS name or an IP address, nothing else. A port in it (''db:5432''), a URL (''postgres://db'') or a character no host name holds (a space, /, @) is InvalidHostName, saying what to give instead, and nothing is written. Aliases: -Host, -Server.'
            Port = 'The database port; the engine''s usual port when omitted. ClickHouse and Trino: the HTTPS port (8443 when omitted, with 8123 (ClickHouse) or 8080 (Trino) as Preferred''s plain HTTP fallback); any other port serves both.'
            Database = 'The database to connect to.'
            Credential = 'The login. The password is kept in this process''s memory only and never written anywhere; runbooks pass -Credential to Invoke-SecureQuery or use -CredentialSecret.'
            CredentialSecret = 'The name of a SecretManagement secret (a PSCredential, or a SecureString password for the integration''s user) read with Get-Secret at query time. Only the name is stored.'
            SslMode = 'Preferred (TLS when offered), Required (TLS, certificate not checked), VerifyCA (chain validated against the uploaded CA, or the system store), VerifyFull (VerifyCA plus the host name; Strict is accepted as its alias). The workspace default when omitted.'
            CaCertificatePath = 'A PEM CA certificate to validate the server against. It is checked (a certificate, not a key, not expired) and copied into the workspace''s ca/ folder.'
            CrlPath           = 'A certificate revocation list from the CA (PEM or DER, one or several lists), as libpq''s sslcrl. It is read, checked (not every list out of date) and copied into the workspace''s ca/ folder; under VerifyCA and VerifyFull the server certificate must then be cleared by a current list from its issuer, signed by that issuer, or the connection is refused (SslCertificateInvalid). Nothing is fetched online. Errors: CrlNotFound, CrlInvalid.'
            Option = 'Extra driver options as a hashtable (for example @{ CommandTimeout = 120 }). Options can never change TLS settings (SslPolicyViolation), the endpoint or credentials (InvalidOption), and are stored in clear, so never secrets. ClickHouse: server settings that only limit or tune a query, sent with each request (max_threads, max_block_size, max_result_rows, max_result_bytes, result_overflow_mode, max_rows_to_read, max_bytes_to_read, max_memory_usage, max_execution_time, readonly, priority and a few more limits); format, session, parameter and any other settings are InvalidOption, and a value must be a number or one word. Trino: Catalog, Schema, Source, ClientTags, ClientInfo, TimeZone, Language and SessionProperties (''name=value,name2=value2''), sent as Trino''s client headers; SSL keys are SslPolicyViolation, User, Password, AccessToken, ExtraCredentials, roles, proxies and Kerberos InvalidOption.'
            SshBastion = 'The SSH bastion the database is reached through, as host[:port] (or user@host[:port]). The first query starts the tunnel (or reuses the one that is up) with the workspace key; the bastion''s host key must be trusted (Add-SshKnownHost) or pinned.'
            SshUser = 'The user on the bastion.'
            SshJumpHost = 'Jump hosts before the bastion, as user@host[:port].'
            SshHostKeyFingerprint = 'Pins the bastion''s host key (SHA256:... as ssh-keygen -l prints it).'
            NoSsh = 'Removes the SSH bastion settings: connect directly.'
            NoCredentialSecret = 'Forgets the SecretManagement secret of -CredentialSecret (Get-SecureIntegration shows it as CredentialSecret): the credential comes from -Credential again. With -CredentialSecret it is ParameterConflict.'
            PassThru = 'Outputs the changed integration.'
        }
        Examples    = @(
            @{
                Title   = 'Move to strict TLS'
                Lab     = $true
                Code    = 'Set-SecureIntegration -Name orders -SslMode VerifyFull -CaCertificatePath ./new-ca.pem'
                Remarks = 'The next query validates the certificate chain and name.'
            }
            @{
                Title   = 'Every integration through the new bastion'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Where-Object SshBastion -eq ''old-bastion.example.com'' | Set-SecureIntegration -SshBastion bastion.example.com -PassThru'
                Remarks = 'Integration objects pipe in by their Name; only the bastion changes, and the changed integrations are shown.'
            }
        )
        Links       = @('New-SecureIntegration', 'Set-SslPolicy')
    }
    'Remove-SecureIntegration' = @{
        Synopsis    = 'Removes an integration.'
        Description = @'
Removes the integration from the workspace, with its stored CA certificate and its session credential. Tunnels that are up stay up until stopped.
'@
        Parameters  = @{
            Name = 'The integration. Integration objects pipe in by their Name.'
        }
        Examples    = @(
            @{
                Title   = 'Remove with a preview'
                Lab     = $true
                Code    = 'Get-SecureIntegration test-* | Remove-SecureIntegration -WhatIf'
                Remarks = 'Names what would be removed.'
            }
            @{
                Title   = 'Remove one integration'
                Lab     = $true
                Code    = 'Remove-SecureIntegration shop -Verbose'
                Remarks = 'Removes shop, its stored CA certificate and its session credential; Verbose output confirms it.'
            }
        )
        Links       = @('New-SecureIntegration')
    }
    'Set-SslPolicy'           = @{
        Synopsis    = 'Sets the SSL mode of an integration, the workspace default, or the workspace minimum.'
        Description = @'
Three levels: an integration's own mode (-Integration -Mode), the workspace default for integrations without their own (-Default <mode>, or -Default -Mode <mode>), and a workspace floor (-Minimum): a query to an integration whose effective mode is below the minimum is refused with SslPolicyViolation before any connection is made.

Modes: Preferred (TLS when the server offers it, else plaintext), Required (TLS or fail; certificate not validated), VerifyCA (the chain validated against every CA of the uploaded file only, or the system store when none is uploaded; a server certificate whose extended key usage lacks serverAuth is refused, as libpq does; revocation is checked only against a CRL uploaded with -CrlPath, offline, as libpq's sslcrl), VerifyFull (VerifyCA plus the host name; Strict is accepted as its alias). Through a tunnel the name is checked against the integration's real host name, and PostgreSQL also sends it as the TLS server name (SNI); the MySQL family's driver (MySqlConnector) cannot set the server name, so through a tunnel it sends none: the check is as strict, but a server that chooses its certificate by SNI shows its default one. SQL Server (SqlClient) can validate only with the system trust store: with an uploaded CA, VerifyCA/VerifyFull are refused (SslCaNotSupported) instead of reported as checked.

A saved SSH tunnel (-Type SshTunnel) has no SSL mode: -Integration on one is refused (ParameterNotApplicable) and nothing is written.

Errors: IntegrationNotFound, ParameterNotApplicable, WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module), WorkspaceNotWritable (the workspace folder, workspace.json or its lock file cannot be created or written; the message names the path). "Strict" stored in workspace.json reads as VerifyFull.
'@
        Parameters  = @{
            Integration       = 'The integration whose mode to set. Alias: -Name.'
            Default           = 'Sets the workspace default instead: Set-SslPolicy -Default VerifyCA, as Set-SslPolicy -Minimum Required sets the minimum (-Default -Mode VerifyCA works too). The output is the Default row of Get-SslPolicy; a default below the minimum is BelowMinimum and warned about.'
            Mode              = 'The SSL mode. With -Default, also the first positional argument.'
            CaCertificatePath = 'A PEM CA certificate for the integration (validated and copied into the workspace).'
            Minimum           = 'The workspace minimum: integrations below it are refused. Each integration it leaves below (and a default below it) is warned about.'
        }
        Examples    = @(
            @{
                Title   = 'A floor for the whole workspace'
                Lab     = $true
                Code    = 'Set-SslPolicy -Minimum Required
Set-SslPolicy -Default -Mode VerifyFull'
                Remarks = 'No query runs without TLS; integrations without their own mode validate certificates fully.'
            }
            @{
                Title   = 'One integration, with its CA'
                Lab     = $true
                Code    = 'Set-SslPolicy -Integration orders -Mode Strict -CaCertificatePath ./ca.pem'
                Remarks = 'Strict is VerifyFull.'
            }
            @{
                Title   = 'Every PostgreSQL integration to VerifyFull'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Where-Object Type -eq PostgreSQL | Set-SslPolicy -Mode VerifyFull'
                Remarks = 'Integration objects bind to -Integration by their Name; each PostgreSQL integration then validates the certificate chain and the host name.'
            }
        )
        Links       = @('Get-SslPolicy', 'Test-SecureConnection')
    }
    'Get-SslPolicy'           = @{
        Synopsis    = 'Shows the SSL policy: the minimum, the default, and each integration''s effective mode and where it comes from.'
        Description = @'
Outputs one row for the workspace minimum, one for the default, and one per integration with its own mode (if any), its effective mode, the source of that mode (Integration, Default, BuiltIn) and whether it is below the minimum (queries refused). Saved SSH tunnels (-Type SshTunnel) are not listed: SecureConnect does not speak what they carry, so no SSL mode applies to them.

Errors: WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module). "Strict" stored in workspace.json reads as VerifyFull; any other unreadable minimum is an error, never "no minimum".
'@
        Parameters  = @{
            Integration = 'Only these integrations; wildcards allowed. Alias: -Name.'
        }
        Examples    = @(
            @{
                Title   = 'Which integrations are refused?'
                Lab     = $true
                Code    = 'Get-SslPolicy | Where-Object BelowMinimum'
                Remarks = 'Lists the integrations whose queries the minimum refuses.'
            }
            @{
                Title   = 'Raise every integration that is below VerifyFull'
                Lab     = $true
                Code    = 'Get-SslPolicy | Where-Object { $_.Integration -and $_.EffectiveMode -ne ''VerifyFull'' } | Set-SslPolicy -Mode VerifyFull -WhatIf'
                Remarks = 'The rows of integrations pipe into Set-SslPolicy by their Integration property; -WhatIf shows the changes first.'
            }
        )
        Links       = @('Set-SslPolicy')
    }
    'Invoke-SecureQuery'      = @{
        Synopsis    = 'Runs a query on an integration under its SSL policy and streams the rows as objects.'
        Description = @'
Connects to the integration (through its SSH tunnel when it has a bastion: the first query starts it, later ones reuse it), enforces the SSL policy (the workspace minimum first, before any connection), runs the query with @name placeholders bound as real parameters, and streams one object per row as the reader yields it: columns in query order, NULL as $null, duplicate column names made unique (id, id1), native .NET types, one per SQL type on every engine: a date is a DateTime at midnight (kind Unspecified); a time of day is ISO-8601 text, hh:mm:ss with the fraction it has (13:14:15.5; with a time zone 13:14:15+02:00); an interval is an ISO-8601 duration with the fields the engine keeps (PostgreSQL: P1Y2M3DT4H5M6.5S, 26 hours as PT26H, -P1D, mixed signs per field as P1M-1D; zero PT0S); a MySQL or MariaDB TIME beyond a day or negative is a duration in hours (PT838H59M59S). Text because ConvertTo-Json writes a TimeSpan as its properties, and a TimeSpan cannot hold a month: [timespan]$row.t and [Xml.XmlConvert]::ToTimeSpan($row.span) read them back (without months). -As Scalar and -As DataTable give the same types. A value the driver cannot turn into .NET (a PostgreSQL numeric beyond decimal, a date after 9999) is QueryFailed naming the column, not a broken connection. Several result sets come out one after the other. Select-Object -First and Ctrl+C stop promptly and cancel the query on the server.

Ad hoc, without an integration: -Type -HostName [-Port] [-Database] [-Credential] [-SslMode] [-CaCertificatePath] [-Tunnel], or -Type -ConnectionString with the same TLS parameters. Neither -Option nor -ConnectionString can weaken the SSL policy: the effective connection string is checked after it is built.

ClickHouse: the result is read as TabSeparatedWithNamesAndTypes, row by row as it arrives. Int8..Int64 and UInt8..UInt64 keep their width and sign (sbyte..long, byte..ulong), Int128/256 and UInt128/256 are BigInteger, Float32/64 float/double (inf, -inf and nan included), Decimal up to 38 digits decimal (wider: the server's text), String string (read as UTF-8), FixedString string without its trailing zero bytes, Date and Date32 DateTime (a date; the zero date 0000-00-00 is 1970-01-01), DateTime and DateTime64 DateTimeOffset (the server writes local time in the column's zone, or the server's own; the offset is that zone's at that moment; a zone unknown on this machine gives the server's text), UUID Guid, Enum its name, Bool bool, Nullable its inner type or $null, LowCardinality its inner type, Array a typed array (nested arrays are arrays of arrays; Array(Nullable(Int32)) is int?[]), and anything else (Tuple, Map, IPv4, ...) the server's text. ClickHouse sends 200 with the first rows, so an error later in the query is appended to the rows: it is QueryFailed with ClickHouse's code and message and how many rows had been delivered (never a short result as if whole); a connection lost mid-result is QueryInterrupted. Stopping early (Select-Object -First, Ctrl+C) aborts the response and sends KILL QUERY for the query's own query_id. -CommandTimeout is sent as max_execution_time (a user with readonly=1 cannot change settings: omit it). -As NonQuery gives written_rows where the server reports it (X-ClickHouse-Summary), else -1. A last row of a one-column String result that reads exactly like a ClickHouse exception is taken for one: a false error rather than a short result.


Trino: each query is POSTed to /v1/statement and its result followed through the nextUri pages until there is none; rows are handed out page by page as they come. nextUri is followed only on the integration's own host and port (through its tunnel): a coordinator that points elsewhere is QueryFailed, never followed. HTTP 502, 503 and 504 are retried a few times with a short backoff, as the protocol advises. Types: bigint long, integer int, smallint short, tinyint sbyte, double double and real float (NaN and the infinities too), decimal decimal (wider than 28 digits: the server's text), varchar and char string, boolean bool, date DateTime, time and time with time zone ISO-8601 text (13:45:30.5, 13:45:30+02:00), timestamp DateTime, timestamp with time zone DateTimeOffset (the offset of its zone at that moment), interval day to second and year to month ISO-8601 durations (P2DT3H4M5.678S, P1Y2M), array object[], map an ordered dictionary (keys as text), row an object with the field names as properties, json its JSON text, uuid Guid, varbinary byte[], anything else (ipaddress, geometry, ...) the server's text; fractions below 100 ns are cut. A failed query is QueryFailed with Trino's error name, code and type (SYNTAX_ERROR (1, USER_ERROR): ...), also after rows (it says how many came); a result the coordinator ends in another state than FINISHED, or forgets (410 Gone), is QueryInterrupted, never a short result as if whole. Stopping early (Select-Object -First, -As Scalar, Ctrl+C, -CommandTimeout) sends DELETE to the current nextUri, which cancels the query on the coordinator. -Parameters: the query is prepared with ? in place of each @name (X-Trino-Prepared-Statement, as Trino's own clients send it) and run as EXECUTE ... USING the values as typed literals (strings quoted, numbers as BIGINT/INTEGER/DOUBLE/DECIMAL '...', DateTime TIMESTAMP, Guid UUID, byte[] X'..', arrays ARRAY[...]; a TimeSpan only as a time of day). -As NonQuery gives updateCount where Trino reports it, else -1.

MongoDB: -Collection orders -Filter @{ status = 'open' } [-Projection @{ name = 1 }] [-Sort @{ joined = -1 }] [-Limit 10] finds documents; or -Query takes any database command as JSON or MongoDB Extended JSON, run on the integration's database (admin when it has none): '{ "aggregate": "orders", "pipeline": [ { "$group": { "_id": "$status", "n": { "$sum": 1 } } } ], "cursor": {} }'. A command that returns a cursor (find, aggregate, listCollections, ...) is followed with getMore to its end, one object per document; any other command gives its reply document as one object (without $clusterTime and operationTime). Select-Object -First and Ctrl+C stop at once and kill the cursor on the server (killCursors). -Filter, -Projection and -Sort take hashtables, [ordered] dictionaries, PSCustomObjects or JSON text; keys are sent as written, so $-operators work (@{ total = @{ '$gt' = 100 } }); nested hashtables are documents, arrays arrays, int/long/double/decimal (Decimal128)/bool/string as such, DateTime and DateTimeOffset dates (a DateTime of kind Local or Unspecified is this machine's local time), Guid a UUID, byte[] binary, a [regex] a regular expression, an enum its name. Values with no .NET form are written in Extended JSON as a one-key hashtable: @{ _id = @{ '$oid' = '65f0c3...' } } is an ObjectId (a plain string is never guessed to be one), likewise '$numberLong', '$date', '$timestamp'. -Sort with several keys needs [ordered]@{ } (a hashtable forgets the order: InvalidParameterValue). -Parameters does not apply (ParameterNotApplicable): the values go into the filter. Each document is one object whose properties are its fields in document order, so documents of one result may have different properties: nested documents are nested objects, arrays object[], ObjectId its 24 hex digits as a string, Decimal128 decimal (beyond decimal's range its text), dates DateTime of kind Utc, Int32/Int64/Double/Boolean/String/null as such, binary byte[] (a UUID, subtype 4, a Guid), a timestamp its 64-bit value as ulong (seconds << 32 | increment), a regular expression its /pattern/options text. Export-Csv takes flat documents as they are (its columns are the first object's); ConvertTo-Json -Depth 10 writes nested ones back as they were. -As DataTable has the union of the documents' fields as columns; -As Scalar the first field of the first document (a count command gives n); -As NonQuery the n of a write or count command's reply (-1 without one). A write command whose reply reports writeErrors is QueryFailed. -CommandTimeout is sent as maxTimeMS with -Collection and with find, aggregate, count and distinct commands. A -Query that is not one JSON document is InvalidQuery.

Dremio: -Query is SQL, sent as an Arrow Flight command (GetFlightInfo), and the result is read with DoGet from each endpoint the server returns, in order, through the same connection (and tunnel). An endpoint without a location, at arrow-flight-reuse-connection://, or at -HostName and -Port is read; an endpoint only at another server is refused with QueryFailed before any row is read, because following it would leave the tunnel and the SSL policy. Rows come out of the Arrow record batches while they stream, as typed values: the integer types as such (UInt8 byte, Int8 sbyte), Float and Double, Decimal decimal (beyond 28 digits its text), strings, Boolean, Binary byte[], Date32/Date64 DateTime, Timestamp DateTime (kind Unspecified) without a time zone and DateTimeOffset in its zone with one, Time32/Time64 ISO-8601 text of the time of day and Duration an ISO-8601 duration (PT26H), List object[], Struct a nested object (fields in order), dictionary-encoded values the value, null $null, anything else its text. Select-Object -First and Ctrl+C cancel the gRPC stream on the server. -Parameters does not apply (ParameterNotApplicable): Flight takes SQL text only and values are never spliced in. -As NonQuery reads the result and outputs -1 (Flight reports no count). -CommandTimeout is the calls' gRPC deadline. A query the server refuses is QueryFailed with its gRPC status and message (InvalidArgument: ...); a stream that breaks is QueryInterrupted.

Errors: QueryFailed (with the server's SQLSTATE, MySQL error number, SQL Server number, ClickHouse code, Trino error name, code and type, MongoDB code, code name and message, or Dremio's gRPC status and message; the statement failed, the session goes on), InvalidParameterValue (a -Parameters value the engine cannot take, refused before the query runs: it names the parameter, the .NET type and what is accepted), QueryInterrupted (a terminating error: the connection broke while the result was on its way; it says how many rows had been delivered, so a runbook never goes on with a short result as if it were whole), ForwardRefused (the bastion refused to forward this connection), ConnectionFailed, DatabaseAuthenticationFailed, SslPolicyViolation, SslCertificateInvalid (saying whether the CA, the certificate's purpose or the name was wrong), SslCaNotSupported (SQL Server with an uploaded CA), SslNotAvailable, InvalidOption, IntegrationNotFound. A -ConnectionString that holds a password is warned about (use -Credential). Never a password.
'@
        Parameters  = @{
            ConnectionString = 'Ad hoc: the driver''s connection string (host, port, database, user and password are taken from it). TLS settings in it are refused with SslPolicyViolation: -SslMode and the workspace policy set them.'
            Integration = 'The integration: its name, or an Integration object (Get-SecureIntegration pipes in by property name). Alias: -Name.'
            Type = 'Ad hoc: the engine.'
            HostName = 'Ad hoc: the database server''s host name, as its certificate names it. Aliases: -Host, -Server.'
            Port = 'Ad hoc: the port (the engine''s usual port when omitted).'
            Database = 'Ad hoc: the database.'
            SslMode = 'Ad hoc: the SSL mode (the workspace default when omitted; Strict = VerifyFull).'
            CaCertificatePath = 'Ad hoc: a PEM CA certificate to validate the server against.'
            Tunnel = 'Ad hoc: an SshTunnel to connect through; the certificate is still checked against -HostName.'
            Credential = 'The login for this call (overrides the session''s credential and the secret).'
            Query = 'The query. @name placeholders are bound from -Parameters as real parameters, never spliced into the SQL. Strings piped in run one after the other. MongoDB: a database command as JSON or Extended JSON (find, aggregate, count, distinct, or any other). Required unless -Collection is given (QueryRequired).'
            Collection = 'MongoDB: the collection to find documents in (instead of -Query), in the integration''s database.'
            Filter = 'MongoDB, with -Collection: the filter, as a hashtable, [ordered] dictionary, PSCustomObject or JSON text; $-operators pass through (@{ total = @{ ''$gt'' = 100 } }), and @{ ''$oid'' = ''...'' } is an ObjectId. See the description for every type.'
            Projection = 'MongoDB, with -Collection: the fields to return, such as @{ name = 1; _id = 0 }.'
            Sort = 'MongoDB, with -Collection: the order, such as @{ joined = -1 }; with several keys [ordered]@{ joined = -1; name = 1 }.'
            Limit = 'MongoDB, with -Collection: at most this many documents.'
            Parameters = 'Values for the @name placeholders, as a hashtable, each bound as a real parameter. Accepted: $null (NULL), string, bool, the integer types, float, double, decimal, DateTime, DateTimeOffset, TimeSpan, Guid, byte[], and an enum, which is sent as its name ([int]$value sends the number). PostgreSQL, Redshift and SQL Server have no unsigned types: [uint32] and [uint64] are sent as bigint, or numeric above its range. PostgreSQL takes a DateTimeOffset as the same instant in UTC. On PostgreSQL an array of one of these types (@(1, 2, 3), [string[]]) is sent as a PostgreSQL array: where id = any(@ids); MySQL, MariaDB, MindsDB, Redshift and SQL Server have no array parameters (and table-valued parameters are not supported): pass one parameter per value. Hashtables, PSCustomObjects, scriptblocks, mixed arrays and SecureStrings (a secret is never sent as a query parameter) are refused with InvalidParameterValue, and the query is not run. ClickHouse uses its own server-side query parameters instead of @name: the query names each with its type, {region:String} or {ids:Array(UInt64)}, and the value travels separately as param_region, parsed by the server as that type (DateTime as yyyy-MM-dd HH:mm:ss, a DateTimeOffset as that in UTC: declare it DateTime(''UTC''); bool as 1/0; $null needs a Nullable type; TimeSpan is refused). Servers without query parameters (18.x) answer -Parameters with InvalidParameterValue, and the query is not run (values are never spliced into the query text). Trino: sent as a prepared statement run with EXECUTE ... USING typed literals (arrays as ARRAY[...]); see the description.'
            CommandTimeout = 'Seconds the command may run (0: no limit).'
            As = 'PSObject (default: one object per row, streamed), DataTable, DataRow, Scalar (first column of the first row) or NonQuery (rows affected).'
            IncludeSource = 'Adds to every row, after its columns, a SecureConnectSource property: the integration''s name (host:port for an ad hoc query), so Get-SecureIntegration | Invoke-SecureQuery ''select ...'' -IncludeSource says which integration each row came from. When the result has a column named SecureConnectSource, the property is SecureConnectSource1 (the next free name, as repeated columns are named). Rows (-As PSObject) only: with another -As it is ParameterNotApplicable.'
        }
        Examples    = @(
            @{
                Title   = 'Dremio: a query streamed to CSV'
                Code    = 'Invoke-SecureQuery lake ''SELECT region, SUM(amount) AS total FROM sales GROUP BY region'' | Export-Csv totals.csv'
                Remarks = 'Arrow record batches are read as they stream; total comes as a decimal.'
            }
            @{
                Title   = 'Dremio ad hoc with a personal access token'
                Code    = '$pat = Get-Secret dremio-pat   # a PSCredential whose password is the token
Invoke-SecureQuery -Type Dremio -ConnectionString ''Host=dremio.example.com;Port=32010;AuthMode=Token'' -Credential $pat -SslMode VerifyFull -Query ''SELECT * FROM sys.version'''
                Remarks = 'The token is sent as authorization: Bearer; AuthMode in the connection string is judged like -Option.'
            }
            @{
                Title   = 'MongoDB: open orders, newest first'
                Code    = 'Invoke-SecureQuery shopdb -Collection orders -Filter @{ status = ''open''; total = @{ ''$gt'' = 100 } } -Projection @{ customer = 1; total = 1; placed = 1 } -Sort @{ placed = -1 } -Limit 10 | Export-Csv open.csv'
                Remarks = 'One object per document, fields in document order; _id (an ObjectId) comes as its 24 hex digits.'
            }
            @{
                Title   = 'MongoDB: an aggregation as a database command'
                Code    = 'Invoke-SecureQuery shopdb ''{ "aggregate": "orders", "pipeline": [ { "$match": { "placed": { "$gte": { "$date": "2024-01-01T00:00:00Z" } } } }, { "$group": { "_id": "$status", "n": { "$sum": 1 } } } ], "cursor": {} }'' | ConvertTo-Json -Depth 10'
                Remarks = 'The cursor is followed to its end with getMore; Select-Object -First would stop it and kill the cursor on the server.'
            }
            @{
                Title   = 'MongoDB: one document by ObjectId'
                Code    = 'Invoke-SecureQuery shopdb -Collection orders -Filter @{ _id = @{ ''$oid'' = ''65f0c3a2e4b0a1b2c3d4e5f6'' } }'
                Remarks = 'A plain string would match only an _id stored as a string.'
            }
            @{
                Title   = 'ClickHouse with a typed query parameter'
                Code    = 'Invoke-SecureQuery events ''SELECT user_id, count() AS n FROM hits WHERE day = {day:Date} GROUP BY user_id'' -Parameters @{ day = ''2024-02-29'' }'
                Remarks = 'The value is sent as param_day and parsed by the server as a Date; it never becomes part of the query text.'
            }
            @{
                Title   = 'Trino: a parameterized query, the first rows only'
                Code    = 'Invoke-SecureQuery lake ''SELECT orderkey, totalprice FROM orders WHERE orderdate >= @since'' -Parameters @{ since = [datetime]''2024-01-01'' } | Select-Object -First 10'
                Remarks = 'Prepared with ? and run as EXECUTE ... USING TIMESTAMP ''2024-01-01 00:00:00.0000000''; after the tenth row the query is cancelled on the coordinator (DELETE of its nextUri).'
            }
            @{
                Title   = 'Rows to CSV'
                Code    = 'Invoke-SecureQuery orders ''select id, name, email from customers where region = @region'' -Parameters @{ region = ''EU'' } | Export-Csv eu.csv'
                Remarks = 'The CSV has exactly the query''s columns.'
            }
            @{
                Title   = 'Every integration'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Invoke-SecureQuery -Query ''select current_user'''
                Remarks = 'Runs on each integration.'
            }
            @{
                Title   = 'A scalar'
                Code    = 'Invoke-SecureQuery orders ''select count(*) from customers'' -As Scalar'
                Remarks = 'Outputs one number.'
            }
            @{
                Title   = 'A list of ids on PostgreSQL'
                Code    = 'Invoke-SecureQuery orders ''select id, total from orders where id = any(@ids)'' -Parameters @{ ids = @(17, 42, 99) }'
                Remarks = 'The array is one PostgreSQL array parameter. On MySQL, MariaDB and SQL Server, which have no arrays, pass one parameter per value: where id in (@id0, @id1, @id2).'
            }
            @{
                Title   = 'Rows with a parameter, straight into Export-Csv'
                Lab     = $true
                Code    = 'Invoke-SecureQuery orders ''select id, name, email from people where score >= @min order by id'' -Parameters @{ min = 50 } | Export-Csv ./top-people.csv'
                Remarks = 'The value of @min is sent as a real query parameter, never spliced into the SQL; the CSV has exactly the querys columns.'
            }
        )
        Links       = @('New-SecureIntegration', 'Test-SecureConnection', 'Set-SslPolicy')
    }
    'Export-SecureQuery'      = @{
        Synopsis    = 'Runs a query on an integration under its SSL policy and streams the result straight into a CSV or JSON Lines file.'
        Description = @'
Connects and runs the query exactly as Invoke-SecureQuery does (the same integration, ad hoc and connection string parameters, -Credential, -Parameters, -CommandTimeout, every engine, the SSH tunnel and the SSL policy), but formats each row straight from the values the driver returns into the file, without making an object per row. Outputs one ExportResult: Integration, Path, Format, Rows, Bytes, Seconds, Appended.

-Format Csv (the default) writes, byte for byte, what Invoke-SecureQuery ... | Export-Csv -Path <file> writes for the same result with the same -Encoding, -Delimiter and -UseQuotes: UTF-8 without a byte order mark by default; a header of the first row's column names; every field in double quotes by default, a double quote doubled; NULL as an empty field without quotes; each value as PowerShell's Export-Csv turns it into text, its ToString() in the session's culture (numbers, decimals, dates and DateTimeOffsets as [string] would show them in that culture, booleans True/False, an array as System.Object[], a MongoDB sub-document as @{...}); lines end with the platform's newline. -UseQuotes AsNeeded quotes only fields that hold the delimiter, a double quote or a line feed, as Export-Csv does. For MongoDB, whose documents may differ, the header is the first document's fields, and a later document's field that the header lacks is left out, as Export-Csv does.

-Format JsonLines writes one JSON object per row and line (UTF-8 without a byte order mark, \n endings): properties in column order, NULL as null, numbers as numbers (NaN and infinities as text), dates and times as ISO 8601 round-trip text (DateTime and DateTimeOffset with "O"), binary as base64, nested MongoDB documents as objects and arrays as arrays. -Encoding, -Delimiter and -UseQuotes are CSV only (ParameterNotApplicable).

The file appears only once the whole result has arrived. The rows are written to a hidden temporary file beside the target (.<name>.<random>.partial, in the same folder, owner-only while it is written), which is then renamed over the target in one step (with the permissions the replaced file had, or a new file's). A query that fails before or during the result (QueryFailed, QueryInterrupted, a broken tunnel, Ctrl+C, Select-Object upstream of nothing) leaves no file, or the old file untouched, and no temporary file: never a partial file that looks complete.

An existing file is refused (ExportTargetExists) unless -Force replaces it or -Append adds to it; unlike Export-Csv, which overwrites silently, because a runbook that runs twice should not lose yesterday's export without saying so. -Append writes the new rows to the temporary file and appends them to the end of the target in one go once the result is complete. With CSV it writes no second header, writes the columns in the file's order, and uses the file's encoding when its byte order mark names one (as Export-Csv -Append); a file whose header names other columns than the query returns is refused (ExportHeaderMismatch), where Export-Csv would drop the columns the file lacks. Appending to a missing or empty file writes a whole file, header included.

Progress (rows, MiB, rows per second) is shown with Write-Progress on exports that run longer than half a second, at most twice a second, and not at all when $ProgressPreference is SilentlyContinue. -WhatIf names the file and writes nothing, without connecting.

Every error of Export-SecureQuery is terminating: one call writes one file, and a runbook must not go on without it. MongoDB: -Collection with -Filter, -Projection, -Sort and -Limit, as Invoke-SecureQuery takes them, or a database command as JSON in -Query ('{ "find": "orders", "filter": { "status": "open" } }'). Without -Query or -Collection the command fails with QueryRequired.

Errors: ExportTargetExists, ExportHeaderMismatch, ExportFailed (folder missing, -Path a folder, no permission, disk full), ParameterNotApplicable, and every error of Invoke-SecureQuery (QueryFailed, QueryInterrupted, ConnectionFailed, SslPolicyViolation, ...).
'@
        Parameters  = @{
            ConnectionString = 'Ad hoc: the driver''s connection string (host, port, database, user and password are taken from it). TLS settings in it are refused with SslPolicyViolation: -SslMode and the workspace policy set them.'
            Integration = 'The integration: its name, or an Integration object (Get-SecureIntegration pipes in by property name; with several, add -Append to gather them in one file). Alias: -Name.'
            Type = 'Ad hoc: the engine.'
            HostName = 'Ad hoc: the database server''s host name, as its certificate names it. Aliases: -Host, -Server.'
            Port = 'Ad hoc: the port (the engine''s usual port when omitted).'
            Database = 'Ad hoc: the database.'
            SslMode = 'Ad hoc: the SSL mode (the workspace default when omitted; Strict = VerifyFull).'
            CaCertificatePath = 'Ad hoc: a PEM CA certificate to validate the server against.'
            Tunnel = 'Ad hoc: an SshTunnel to connect through; the certificate is still checked against -HostName.'
            Credential = 'The login for this call (overrides the session''s credential and the secret).'
            Query = 'The query. @name placeholders are bound from -Parameters as real parameters, never spliced into the SQL. MongoDB: a database command as JSON or Extended JSON. Required unless -Collection is given (QueryRequired).'
            Collection = 'MongoDB: the collection to find documents in (instead of -Query), in the integration''s database.'
            Filter = 'MongoDB, with -Collection: the filter, as a hashtable, [ordered] dictionary, PSCustomObject or JSON text, as Invoke-SecureQuery -Filter takes it.'
            Projection = 'MongoDB, with -Collection: the fields to write, such as @{ name = 1; email = 1; _id = 0 }.'
            Sort = 'MongoDB, with -Collection: the order, such as @{ joined = -1 }; with several keys [ordered]@{ joined = -1; name = 1 }.'
            Limit = 'MongoDB, with -Collection: at most this many documents.'
            Path = 'The file to write, relative to the current location (~ is the home folder). Its folder must exist (ExportFailed). An existing file is refused without -Force or -Append (ExportTargetExists).'
            Parameters = 'Values for the @name placeholders, as a hashtable, each bound as a real parameter (the same types as Invoke-SecureQuery -Parameters).'
            CommandTimeout = 'Seconds the command may run (0: no limit).'
            Format = 'Csv (default: what Export-Csv writes for the same rows) or JsonLines (one JSON object per line, UTF-8 without a byte order mark).'
            Encoding = 'CSV: the encoding, as Export-Csv takes it: utf8 (default, no byte order mark), utf8NoBOM, utf8BOM, unicode (UTF-16 LE with a byte order mark), bigendianunicode, utf32, bigendianutf32, ascii, a code page number or name, or an Encoding object.'
            Delimiter = 'CSV: the character between fields (a comma by default), as Export-Csv -Delimiter.'
            UseQuotes = 'CSV: Always (default: every header name and value in double quotes), AsNeeded (only fields with the delimiter, a double quote or a line feed) or Never, as Export-Csv -UseQuotes. NULL is an empty field in every case.'
            Append = 'Adds the rows to the end of the file, in one go once the whole result has arrived. CSV: no second header, the file''s column order and encoding; a file with other columns is refused (ExportHeaderMismatch). A missing or empty file is written whole.'
            Force = 'Replaces an existing file (only once the whole result has arrived; until then the old file is untouched).'
        }
        Examples    = @(
            @{
                Title   = 'A query to CSV, as Export-Csv would write it'
                Code    = 'Export-SecureQuery orders ''select id, customer, total, placed from orders where placed >= @since'' -Parameters @{ since = (Get-Date).Date } -Path ./orders-today.csv'
                Remarks = 'The same bytes as Invoke-SecureQuery ... | Export-Csv ./orders-today.csv, written without an object per row; orders-today.csv appears only when the last row has arrived. Outputs Rows, Bytes and Seconds.'
            }
            @{
                Title   = 'Every saved integration into one file, from the pipeline'
                Lab     = $true
                Code    = 'Get-SecureIntegration shop-* | Export-SecureQuery -Query ''select current_database() as db, count(*) as orders from orders'' -Path ./counts.csv -Append'
                Remarks = 'Each integration''s result is appended once it is complete; the header is written once, and a file with other columns is refused (ExportHeaderMismatch).'
            }
            @{
                Title   = 'JSON Lines for a data pipeline, replacing yesterday''s file'
                Code    = 'Export-SecureQuery shopdb ''{ "find": "orders", "filter": { "status": "open" } }'' -Path ./open-orders.jsonl -Format JsonLines -Force'
                Remarks = 'One MongoDB document per line, nested documents as objects, dates as ISO 8601; the old file stays until the new one is complete.'
            }
            @{
                Title   = 'A MongoDB collection to CSV'
                Code    = 'Export-SecureQuery shopdb -Collection customers -Filter @{ country = ''CH'' } -Projection @{ name = 1; email = 1; _id = 0 } -Sort @{ name = 1 } -Path ./customers-ch.csv'
                Remarks = 'The documents the same find returns to Invoke-SecureQuery, one row each, their fields as columns.'
            }
            @{
                Title   = 'Semicolons, quotes only where needed, UTF-8 with a byte order mark (for Excel)'
                Code    = 'Export-SecureQuery orders ''select * from customers'' -Path ./customers.csv -Delimiter '';'' -UseQuotes AsNeeded -Encoding utf8BOM'
                Remarks = 'As Export-Csv -Delimiter '';'' -UseQuotes AsNeeded -Encoding utf8BOM.'
            }
            @{
                Title   = 'A filtered table to CSV, strict TLS through the bastion'
                Lab     = $true
                Code    = 'Export-SecureQuery orders ''select id, name, email, joined from people where score >= @min order by id'' -Parameters @{ min = 50 } -Path ./people.csv -Force'
                Remarks = 'Runs under the integrations SSL mode (VerifyFull in the quick start) through its tunnel; people.csv is replaced only once the whole result has arrived.'
            }
            @{
                Title   = 'One count per integration, gathered in one file'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Export-SecureQuery -Query ''select count(*) as people from people'' -Path ./people-count.csv -Append'
                Remarks = 'Each integrations result is appended when it is complete: the first writes the header, the others add a row each.'
            }
        )
        Links       = @('Invoke-SecureQuery', 'Export-Csv', 'about_SecureConnect_Errors')
    }
    'Test-SecureConnection'   = @{
        Synopsis    = 'Connects to an integration and reports how the connection is secured, as the server sees it.'
        Description = @'
Connects (through the tunnel where configured) and outputs a ConnectionReport: the endpoint, the route (Direct or the tunnel), the SSL mode, whether the session is encrypted as the server reports it (PostgreSQL pg_stat_ssl, MySQL/MariaDB Ssl_version/Ssl_cipher, SQL Server sys.dm_exec_connections; MongoDB, Trino and Dremio's Arrow Flight do not report a session's TLS, so Encrypted, the protocol and the cipher are what the client negotiated, and a warning says so; Dremio's version is read from sys.version), the TLS protocol and cipher, whether the certificate chain and host name were verified, the certificate's subject, issuer and expiry, the server version, the client address the server sees (through a tunnel: the bastion's), the round trip, and warnings (Preferred fell back to plaintext, a certificate expiring within 30 days, a certificate not validated). Each warning is also written to the warning stream (prefixed with the integration's name), so it is seen without looking at the report.

A connection that fails is a report too, not an error, so that Get-SecureIntegration | Test-SecureConnection audits a whole workspace without stopping at the first broken integration: Connected is $false, ErrorId is the id a query of the integration would fail with (BastionUnreachable, HostKeyUnknown, SshAuthenticationFailed, KeyPassphraseRequired, ConnectionFailed, DatabaseAuthenticationFailed, SslNotAvailable, SslCertificateInvalid, CredentialNotFound, ...), Reason is that error's message (with the exact command to run where there is one) and Fix says what to do. A report of a working connection has Connected = $true and no ErrorId.

Errors remain for what leaves nothing to test: a name that is no integration (IntegrationNotFound), a saved SSH tunnel (IntegrationNotQueryable), ad-hoc parameters that cannot make a plan (InvalidConnectionString, a CA file that cannot be read), and a connection the workspace's SSL policy forbids (SslPolicyViolation below the minimum, SslCaNotSupported): it is not attempted, because testing it would be the violation, and Get-SslPolicy lists those integrations. These errors are non-terminating, so the other piped integrations are still tested. Parameter validation errors are PowerShell's own. Ctrl+C stops the command.
'@
        Parameters  = @{
            ConnectionString = 'Ad hoc: the driver''s connection string (host, port, database, user and password are taken from it). TLS settings in it are refused with SslPolicyViolation: -SslMode and the workspace policy set them.'
            Integration = 'The integration: its name, or an Integration object (Get-SecureIntegration pipes in by property name). Alias: -Name.'
            Type = 'Ad hoc: the engine.'
            HostName = 'Ad hoc: the database server''s host name, as its certificate names it. Aliases: -Host, -Server.'
            Port = 'Ad hoc: the port (the engine''s usual port when omitted).'
            Database = 'Ad hoc: the database.'
            SslMode = 'Ad hoc: the SSL mode (the workspace default when omitted; Strict = VerifyFull).'
            CaCertificatePath = 'Ad hoc: a PEM CA certificate to validate the server against.'
            Tunnel = 'Ad hoc: an SshTunnel to connect through; the certificate is still checked against -HostName.'
            Credential = 'The login for this call (overrides the session''s credential and the secret).'
        }
        Examples    = @(
            @{
                Title   = 'How is orders secured?'
                Lab     = $true
                Code    = 'Test-SecureConnection orders | Format-List'
                Remarks = 'Shows every field of the report.'
            }
            @{
                Title   = 'Audit all integrations'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Test-SecureConnection | Where-Object { -not $_.Encrypted -or $_.Warnings }'
                Remarks = 'Lists the integrations that need attention.'
            }
            @{
                Title   = 'Find the broken integrations and how to fix them'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Test-SecureConnection -WarningAction SilentlyContinue | Where-Object { -not $_.Connected } | Format-List Integration, ErrorId, Reason, Fix'
                Remarks = 'Every integration is tested, also after one fails; the broken ones are listed with the error id and the fix.'
            }
        )
        Links       = @('Invoke-SecureQuery', 'Get-SslPolicy')
    }
    'Get-EgressAllowlist'     = @{
        Synopsis    = 'Gets the addresses a database firewall must allow for this workspace''s connections.'
        Description = @'
Outputs EgressAddress objects (Address, PrefixLength, Cidr, Family, Source, Description) from one source:

Configured (default): the addresses the workspace declares with Add-EgressAddress (the NAT gateways or public IPs its runbooks leave from).
Interface: this machine's own non-loopback addresses.
Observed (with -Integration): the address the database server itself reports for this connection (PostgreSQL inet_client_addr(), MySQL/MariaDB the processlist host, SQL Server client_net_address). Through a tunnel that is the bastion's address on the database's network, and the Description says so: that is the address to allow.
Preset (with -Preset, or all presets): built-in lists of well-known services' published egress addresses, kept as data in the module (egress-presets.json), e.g. -Preset Deepnote.

See about_SecureConnect_Firewall for a quick start per firewall.
'@
        Parameters  = @{
            Integration = 'An integration: connect to it (through its tunnel) and output the address its server sees. Alias: -Name.'
            Source      = 'Configured (default), Interface, Observed or Preset.'
            Preset      = 'The name of a built-in list, e.g. Deepnote.'
            Credential  = 'The login for -Integration (overrides the session''s credential).'
        }
        Examples    = @(
            @{
                Title   = 'What must the orders database allow?'
                Lab     = $true
                Code    = 'Get-EgressAllowlist -Integration orders'
                Remarks = 'The address the server sees for our connection: through a tunnel, the bastion''s.'
            }
            @{
                Title   = 'A notebook service''s published addresses, as pg_hba lines'
                Lab     = $true
                Code    = 'Get-EgressAllowlist -Preset Deepnote | ConvertTo-FirewallRule -Format PgHba -Database analytics -User notebook'
                Remarks = 'Five hostssl lines with scram-sha-256.'
            }
        )
        Links       = @('Add-EgressAddress', 'ConvertTo-FirewallRule', 'Test-EgressAllowlist', 'about_SecureConnect_Firewall')
    }
    'Add-EgressAddress'       = @{
        Synopsis    = 'Declares addresses the workspace''s connections leave from.'
        Description = @'
Adds IPv4/IPv6 addresses or CIDR networks to the workspace's configured allowlist (workspace.json). Every value is checked first and one bad value adds none: InvalidAddress for something that is not an address (IPv4 must be four decimal numbers 0-255 without leading zeros: 010.1.1.1 and 0x0a.1.1.1 are refused, as other tools read them as octal or hex), HostBitsSet for a CIDR whose address has host bits set (10.0.0.1/8), EgressAddressExists for a duplicate. 0.0.0.0/0 and ::/0 are added with a warning: they allow every address.

Errors: InvalidAddress, HostBitsSet, EgressAddressExists, WorkspaceCorrupt (a value in workspace.json that does not read as what it must be, e.g. a misspelled SSL mode; the message names the file, the JSON path and the value, and the file is never overwritten), WorkspaceVersionUnsupported (workspace.json was written by a newer SecureConnect: update the module), WorkspaceNotWritable (the workspace folder, workspace.json or its lock file cannot be created or written; the message names the path).
'@
        Parameters  = @{
            Address     = 'Addresses or CIDR networks, e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/48. Alias: -Cidr.'
            Description = 'What the addresses are, e.g. ''NAT gateway eu-west-1''.'
        }
        Examples    = @(
            @{
                Title   = 'The NAT gateways of the runbook workers'
                Lab     = $true
                Code    = 'Add-EgressAddress 203.0.113.7, 203.0.113.8 -Description ''runbook NAT gateways'''
                Remarks = 'Both are added, or neither.'
            }
            @{
                Title   = 'Addresses from the pipeline'
                Lab     = $true
                Code    = '''198.51.100.0/24'', ''2001:db8:10::/48'' | Add-EgressAddress -Description ''office''
Get-EgressAllowlist | Format-Table Cidr, Family, Description'
                Remarks = 'Strings pipe into -Address; the list then shows both networks with their description.'
            }
        )
        Links       = @('Get-EgressAllowlist', 'Remove-EgressAddress')
    }
    'Remove-EgressAddress'    = @{
        Synopsis    = 'Removes addresses from the workspace''s configured allowlist.'
        Description = @'
Removes addresses or networks; EgressAddress objects pipe in by their Cidr. An address that is not in the list writes EgressAddressNotFound.
'@
        Parameters  = @{
            Address = 'Addresses or CIDR networks to remove. Alias: -Cidr.'
        }
        Examples    = @(
            @{
                Title   = 'Remove everything in one network'
                Lab     = $true
                Code    = 'Get-EgressAllowlist | Where-Object Address -like ''203.0.113.*'' | Remove-EgressAddress -WhatIf'
                Remarks = 'Shows what would be removed.'
            }
            @{
                Title   = 'Remove a gateway that was decommissioned'
                Lab     = $true
                Code    = 'Remove-EgressAddress 198.51.100.7'
                Remarks = 'Removes the address from workspace.json; an address that is not in the list writes EgressAddressNotFound.'
            }
        )
        Links       = @('Add-EgressAddress', 'Get-EgressAllowlist')
    }
    'ConvertTo-FirewallRule'  = @{
        Synopsis    = 'Renders allowlist addresses as rules ready to apply, for each kind of firewall.'
        Description = @'
Takes EgressAddress objects (or addresses) from the pipeline and outputs rules:

PgHba: pg_hba.conf lines, hostssl with scram-sha-256 (-Database, -User; 'all' when omitted).
MySqlGrant: CREATE USER ... REQUIRE SSL and GRANT SELECT statements per address (IPv4 networks as address/netmask host patterns); needs -User; replace <password> before running.
AwsSecurityGroup: the JSON for aws ec2 authorize-security-group-ingress --ip-permissions (IPv4 and IPv6 ranges); needs -Port.
AzureSqlFirewall: New-AzSqlServerFirewallRule commands (IPv4 ranges; set $ResourceGroupName and $ServerName).
GcpAuthorizedNetworks: one gcloud sql instances patch command carrying the whole list, since --authorized-networks replaces it (-Name is the instance).
Iptables: an iptables-restore fragment (a chain that accepts the list and drops the rest on -Port).
Nftables: an nft -f script (IPv4 and IPv6).
WindowsFirewall: a New-NetFirewallRule command.

Values that go into rules verbatim (-Database, -User, -Name) are checked; descriptions are sanitised, so nothing can inject a rule or a command.

Errors: InvalidAddress (for each input that is not an IPv4 address in dotted decimal without leading zeros or an IPv6 address, e.g. 010.0.0.1, which other tools read as octal 8.0.0.1; the rest are still rendered), PortRequired, UserRequired, InvalidRuleValue. A warning (not an error) for 0.0.0.0/0 or ::/0, which allows every address.
'@
        Parameters  = @{
            Address     = 'Addresses or CIDR networks; EgressAddress objects pipe in by their Cidr. Alias: -Cidr.'
            Description = 'A description for addresses given as strings (EgressAddress objects bring theirs).'
            Format      = 'PgHba, MySqlGrant, AwsSecurityGroup, AzureSqlFirewall, GcpAuthorizedNetworks, Iptables, Nftables or WindowsFirewall.'
            Port        = 'The database port to allow (AwsSecurityGroup, Iptables, Nftables, WindowsFirewall).'
            Database    = 'The database (PgHba, MySqlGrant).'
            User        = 'The database user (PgHba, MySqlGrant).'
            Name        = 'A rule, chain, table or instance name (AzureSqlFirewall, GcpAuthorizedNetworks, Iptables, Nftables, WindowsFirewall).'
        }
        Inputs      = @('SecureConnect.EgressAddress', 'System.String')
        Examples    = @(
            @{
                Title   = 'pg_hba.conf lines for the observed address'
                Code    = 'Get-EgressAllowlist -Integration orders | ConvertTo-FirewallRule -Format PgHba -Database orders -User report | Add-Content $pgdata/pg_hba.conf'
                Remarks = 'Then reload PostgreSQL (select pg_reload_conf()).'
            }
            @{
                Title   = 'An AWS security group'
                Code    = 'Get-EgressAllowlist | ConvertTo-FirewallRule -Format AwsSecurityGroup -Port 5432 | Set-Content perms.json
aws ec2 authorize-security-group-ingress --group-id sg-0123 --ip-permissions file://perms.json'
                Remarks = 'One permission with every range.'
            }
        )
        Links       = @('Get-EgressAllowlist', 'about_SecureConnect_Firewall')
    }
    'Test-EgressAllowlist'    = @{
        Synopsis    = 'Tests whether the address a database sees for this connection is in the allowlist.'
        Description = @'
Connects to the integration (through its tunnel where configured), asks the server which address it sees, and compares it with the configured allowlist: Covered, and the entry (CoveredBy) that covers it, or a message with the Add-EgressAddress command that would.
'@
        Parameters  = @{
            Integration = 'The integration. Alias: -Name.'
            Credential  = 'The login (overrides the session''s credential).'
        }
        Examples    = @(
            @{
                Title   = 'Is every integration covered?'
                Lab     = $true
                Code    = 'Get-SecureIntegration | Test-EgressAllowlist | Where-Object { -not $_.Covered }'
                Remarks = 'Lists the integrations whose observed address the allowlist misses.'
            }
            @{
                Title   = 'One integration, in detail'
                Lab     = $true
                Code    = 'Test-EgressAllowlist orders | Format-List'
                Remarks = 'Shows the address the server sees, whether the allowlist covers it and, if not, the Add-EgressAddress command that would.'
            }
        )
        Links       = @('Get-EgressAllowlist', 'Add-EgressAddress')
    }
}
