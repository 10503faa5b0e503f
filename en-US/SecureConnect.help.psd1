# The prose of the cmdlet help. build.ps1 turns it, with each cmdlet's own metadata (syntax, types,
# pipeline input), into SecureConnect.dll-Help.xml in the built module. Every cmdlet and every parameter
# must have an entry: the build fails otherwise.
@{
    'New-WorkspaceSshKey'     = @{
        Synopsis    = 'Creates the workspace SSH key pair that every integration of the workspace uses.'
        Description = @'
Generates a new SSH key pair with BouncyCastle and stores it in the workspace's keys folder ($env:SECURECONNECT_HOME, by default ~/.secureconnect): the private key in OpenSSH format (the format ssh-keygen writes and ssh reads), mode 0600 on Unix and an owner-only ACL on Windows, and the public key as one authorized_keys line.

The same key serves every integration of the workspace: install its public key once on each bastion (see ConvertTo-AuthorizedKey). Ed25519 is the default; Rsa makes a 4096-bit key that signs with rsa-sha2-256/512 as OpenSSH 8.8 and later require; Ecdsa makes a P-256 key.

With -Passphrase the private key file is encrypted as ssh-keygen encrypts it (aes256-ctr with the bcrypt KDF). An existing key is never replaced silently: without -Force the command fails with the error id WorkspaceKeyExists; with -Force the old pair moves to keys/retired/<timestamp>/ and -Verbose says so.
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
                Code    = 'New-WorkspaceSshKey -Force -Verbose'
                Remarks = 'Replaces the key; the previous pair moves to keys/retired/ and Verbose output names the folder.'
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
'@
        Parameters  = @{
            Force = 'Deletes without asking for confirmation, as a runbook needs. -WhatIf still only reports.'
        }
        Outputs     = @()
        Examples    = @(
            @{
                Title   = 'Delete the key in a runbook'
                Code    = 'Remove-WorkspaceSshKey -Force'
                Remarks = 'Deletes the key pair without a prompt.'
            }
            @{
                Title   = 'See what would be deleted'
                Code    = 'Remove-WorkspaceSshKey -WhatIf'
                Remarks = 'Names the key file and fingerprint that would be deleted, and deletes nothing.'
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
        )
        Links       = @('New-WorkspaceSshKey', 'Get-WorkspaceSshKey')
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
                Code    = 'Get-WorkspaceSshKey | ConvertTo-AuthorizedKey -PermitOpen ''db.internal:5432'' | Add-Content ~sclab/.ssh/authorized_keys'
                Remarks = 'Appends restrict,port-forwarding,permitopen="db.internal:5432" ssh-ed25519 AAAA... to the bastion user''s authorized_keys.'
            }
            @{
                Title   = 'Only from the runbook subnet'
                Code    = 'ConvertTo-AuthorizedKey -PermitOpen ''db1:5432'', ''db2:3306'' -From ''10.20.0.0/16'''
                Remarks = 'Two permitopen options and a from= option for the workspace key.'
            }
        )
        Links       = @('Get-WorkspaceSshKey', 'New-WorkspaceSshKey', 'about_SecureConnect')
    }
}
