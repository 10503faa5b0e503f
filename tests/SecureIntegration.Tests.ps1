# Integrations: New/Get/Set/Remove-SecureIntegration, their CA certificates and -Option checks, and persistence in
# workspace.json across processes. Nothing here connects to a database (no lab needed); host names are never contacted.
BeforeDiscovery {
    . $PSScriptRoot/common.ps1
    $DefaultPorts = @(
        @{ Type = 'PostgreSQL'; Port = 5432 }
        @{ Type = 'Redshift'; Port = 5439 }
        @{ Type = 'MySQL'; Port = 3306 }
        @{ Type = 'MariaDB'; Port = 3306 }
        @{ Type = 'MindsDB'; Port = 47335 }
        @{ Type = 'SqlServer'; Port = 1433 }
    )
    $BadNames = @(
        @{ Name = 'trailing space ' }
        @{ Name = ' leading space' }
        @{ Name = 'star*' }
        @{ Name = '-leading-dash' }
        @{ Name = '.leading-dot' }
        @{ Name = 'semi;colon' }
        @{ Name = 'slash/name' }
        @{ Name = 'a' * 65 }
    )
    $WeakeningOptions = @(
        @{ Type = 'PostgreSQL'; Key = 'SslMode'; Value = 'Disable' }
        @{ Type = 'PostgreSQL'; Key = 'SSL Mode'; Value = 'Disable' }
        @{ Type = 'PostgreSQL'; Key = 'Trust Server Certificate'; Value = $true }
        @{ Type = 'PostgreSQL'; Key = 'Root Certificate'; Value = '/tmp/other-ca.pem' }
        @{ Type = 'Redshift'; Key = 'sslmode'; Value = 'disable' }
        @{ Type = 'MySQL'; Key = 'SslMode'; Value = 'None' }
        @{ Type = 'MariaDB'; Key = 'Ssl_Mode'; Value = 'None' }
        @{ Type = 'MariaDB'; Key = 'SslCa'; Value = '/tmp/other-ca.pem' }
        @{ Type = 'MindsDB'; Key = 'TlsVersion'; Value = 'Tls 1.0' }
        @{ Type = 'SqlServer'; Key = 'TrustServerCertificate'; Value = $true }
        @{ Type = 'SqlServer'; Key = 'Encrypt'; Value = $false }
    )
    $SecretOrEndpointOptions = @(
        @{ Key = 'Password' }
        @{ Key = 'DB_PASSWORD' }
        @{ Key = 'Pwd' }
        @{ Key = 'Host' }
        @{ Key = 'Port' }
        @{ Key = 'Database' }
        @{ Key = 'Username' }
    )
    $BadCaFiles = @(
        @{ Kind = 'a private key'; ErrorId = 'CaCertificateInvalid'; Message = 'private key' }
        @{ Kind = 'a certificate with its private key'; ErrorId = 'CaCertificateInvalid'; Message = 'private key' }
        @{ Kind = 'garbage text'; ErrorId = 'CaCertificateInvalid'; Message = 'BEGIN CERTIFICATE' }
        @{ Kind = 'a DER certificate'; ErrorId = 'CaCertificateInvalid'; Message = 'BEGIN CERTIFICATE' }
        @{ Kind = 'a PEM block that is not a certificate'; ErrorId = 'CaCertificateInvalid'; Message = 'cannot be read' }
        @{ Kind = 'a certificate not valid yet'; ErrorId = 'CaCertificateInvalid'; Message = 'not valid before' }
        @{ Kind = 'an expired certificate'; ErrorId = 'CaCertificateExpired'; Message = 'expired on 2020-01-02' }
        @{ Kind = 'a missing file'; ErrorId = 'CaCertificateNotFound'; Message = 'does not exist' }
    )
}

BeforeAll {
    . $PSScriptRoot/common.ps1

    $script:ErrorClass = @{
        New    = 'SecureConnect.Commands.NewSecureIntegrationCommand'
        Get    = 'SecureConnect.Commands.GetSecureIntegrationCommand'
        Set    = 'SecureConnect.Commands.SetSecureIntegrationCommand'
        Remove = 'SecureConnect.Commands.RemoveSecureIntegrationCommand'
    }

    function Get-ErrorRecord([scriptblock] $Script) {
        try { & $Script | Out-Null; $null } catch { $_ }
    }

    function New-TestCertificate {
        # A self-signed CA certificate (ECDSA P-256) valid from $NotBefore to $NotAfter; returns the X509Certificate2 (with key).
        param([string] $Subject = 'CN=SecureConnect Test CA', [DateTimeOffset] $NotBefore = [DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset] $NotAfter = [DateTimeOffset]::UtcNow.AddDays(30))
        $ecdsa = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $ecdsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
        $request.CreateSelfSigned($NotBefore, $NotAfter)
    }

    function New-CaFile([string] $Path, [string] $Kind = 'a valid certificate') {
        # Writes a CA file of the given kind to $Path (nothing for 'a missing file'); returns the path.
        switch ($Kind) {
            'a valid certificate' { Set-Content -Path $Path -Value (New-TestCertificate).ExportCertificatePem() }
            'a private key' {
                $rsa = [System.Security.Cryptography.RSA]::Create(2048)
                Set-Content -Path $Path -Value $rsa.ExportPkcs8PrivateKeyPem()
            }
            'a certificate with its private key' {
                $cert = New-TestCertificate
                $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($cert)
                Set-Content -Path $Path -Value ($cert.ExportCertificatePem() + "`n" + $key.ExportPkcs8PrivateKeyPem())
            }
            'garbage text' { Set-Content -Path $Path -Value "this is not a certificate`n$([guid]::NewGuid())" }
            'a DER certificate' { [IO.File]::WriteAllBytes($Path, (New-TestCertificate).RawData) }
            'a PEM block that is not a certificate' {
                Set-Content -Path $Path -Value "-----BEGIN CERTIFICATE-----`nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs`n-----END CERTIFICATE-----"
            }
            'a certificate not valid yet' {
                Set-Content -Path $Path -Value (New-TestCertificate -NotBefore ([DateTimeOffset]::UtcNow.AddDays(10)) -NotAfter ([DateTimeOffset]::UtcNow.AddDays(40))).ExportCertificatePem()
            }
            'an expired certificate' {
                $from = [DateTimeOffset]::new(2020, 1, 1, 0, 0, 0, [TimeSpan]::Zero)
                Set-Content -Path $Path -Value (New-TestCertificate -NotBefore $from -NotAfter $from.AddDays(1).AddHours(12)).ExportCertificatePem()
            }
            'a missing file' { }
            default { throw "unknown CA file kind '$Kind'" }
        }
        $Path
    }

    function New-Fingerprint {
        # A syntactically valid SHA256 host key fingerprint (43 base64 characters).
        $hash = [System.Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes([guid]::NewGuid().ToString()))
        'SHA256:' + [Convert]::ToBase64String($hash).TrimEnd('=')
    }

    function New-TestCredential([string] $User = 'app_user', [string] $Password = ('Pw-' + [guid]::NewGuid().ToString('N'))) {
        [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
    }

    function New-ScratchDirectory {
        # Files to upload live outside the workspace (which the module creates on first use).
        $path = Join-Path ([IO.Path]::GetTempPath()) ("sc-upload-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $path | Out-Null
        $path
    }

    function Get-WorkspaceJson { Get-Content -Raw (Join-Path $env:SECURECONNECT_HOME 'workspace.json') }
}

Describe 'New-SecureIntegration' {
    BeforeEach { $script:ws = New-TestWorkspace; $script:scratch = New-ScratchDirectory }
    AfterEach { Remove-Item -Recurse -Force $ws, $scratch -ErrorAction SilentlyContinue }

    It 'registers a <Type> integration on port <Port> when -Port is omitted' -TestCases $DefaultPorts {
        $i = New-SecureIntegration -Name 'src1' -Type $Type -HostName 'db.example.test'
        $i | Should -BeOfType ([SecureConnect.Integration])
        $i.Name | Should -BeExactly 'src1'
        "$($i.Type)" | Should -Be $Type
        $i.HostName | Should -Be 'db.example.test'
        $i.Port | Should -Be $Port
        $i.Database | Should -BeNullOrEmpty
        $i.UserName | Should -BeNullOrEmpty
        $i.SslMode | Should -Be ([SecureConnect.SslMode]::Preferred)
        $i.SslModeSource | Should -Be 'BuiltIn'
        $i.CaCertificate | Should -BeNullOrEmpty
        $i.SshBastion | Should -BeNullOrEmpty
        $i.HasSessionCredential | Should -BeFalse
        (Get-SecureIntegration -Name 'src1').Port | Should -Be $Port
    }

    It 'takes -Host and -Server as aliases of -HostName' {
        (New-SecureIntegration -Name 'a1' -Type PostgreSQL -Host 'h1.example.test').HostName | Should -Be 'h1.example.test'
        (New-SecureIntegration -Name 'a2' -Type SqlServer -Server 'h2.example.test').HostName | Should -Be 'h2.example.test'
        (Get-SecureIntegration).Name | Should -Be @('a1', 'a2')
    }

    It 'keeps every setting it was given, and reads them back the same' {
        $ca = New-CaFile (Join-Path $scratch 'upload-ca.pem')
        $caCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $ca))
        $fingerprint = New-Fingerprint
        $params = @{
            Name                  = 'orders.Primary_1'
            Type                  = 'PostgreSQL'
            HostName              = 'db.example.test'
            Port                  = 6543
            Database              = 'orders'
            Credential            = New-TestCredential 'report'
            SslMode               = 'Strict'
            CaCertificatePath     = $ca
            SshBastion            = 'bastion.example.test:2200'
            SshUser               = 'tunnel'
            SshJumpHost           = @('jumper@jump.example.test:2222')
            SshHostKeyFingerprint = $fingerprint
            Option                = @{ 'Command Timeout' = 45 }
        }
        $new = New-SecureIntegration @params
        foreach ($i in $new, (Get-SecureIntegration -Name 'orders.Primary_1')) {
            $i.Name | Should -BeExactly 'orders.Primary_1'
            $i.Type | Should -Be ([SecureConnect.IntegrationType]::PostgreSQL)
            $i.HostName | Should -Be 'db.example.test'
            $i.Port | Should -Be 6543
            $i.Database | Should -Be 'orders'
            $i.UserName | Should -Be 'report'
            $i.SslMode | Should -Be ([SecureConnect.SslMode]::VerifyFull) -Because 'Strict is VerifyFull'
            $i.SslModeSource | Should -Be 'Integration'
            $i.CaCertificate.Thumbprint | Should -Be $caCert.Thumbprint
            $i.CaCertificate.Subject | Should -Be $caCert.Subject
            $i.SshBastion | Should -Be 'bastion.example.test'
            $i.SshBastionPort | Should -Be 2200
            $i.SshUser | Should -Be 'tunnel'
            $i.SshJumpHost | Should -Be @('jumper@jump.example.test:2222')
            $i.SshHostKeyFingerprint | Should -BeExactly $fingerprint
            $i.Options['Command Timeout'] | Should -Be '45'
            $i.HasSessionCredential | Should -BeTrue
        }
        # A fingerprint without its prefix is stored with it.
        $bare = $fingerprint.Substring('SHA256:'.Length)
        (New-SecureIntegration -Name 'pinned' -Type MySQL -HostName 'my.example.test' -SshBastion 'b.example.test' -SshUser 'u' -SshHostKeyFingerprint $bare).SshHostKeyFingerprint | Should -BeExactly $fingerprint
    }

    It 'takes the SSH user and port from -SshBastion user@host:port' {
        $i = New-SecureIntegration -Name 'viauser' -Type MariaDB -HostName 'm.example.test' -SshBastion 'ops@bastion.example.test:2022'
        $i.SshBastion | Should -Be 'bastion.example.test'
        $i.SshBastionPort | Should -Be 2022
        $i.SshUser | Should -Be 'ops'
        (New-SecureIntegration -Name 'port22' -Type MariaDB -HostName 'm.example.test' -SshBastion 'bastion.example.test' -SshUser 'ops').SshBastionPort | Should -Be 22
    }

    It 'refuses a second integration with the same name, in any case: IntegrationExists' {
        New-SecureIntegration -Name 'pg' -Type PostgreSQL -HostName 'one.example.test' | Out-Null
        { New-SecureIntegration -Name 'pg' -Type MySQL -HostName 'two.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId "IntegrationExists,$($ErrorClass.New)"
        { New-SecureIntegration -Name 'PG' -Type MySQL -HostName 'two.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId "IntegrationExists,$($ErrorClass.New)"
        $all = @(Get-SecureIntegration)
        $all.Count | Should -Be 1
        $all[0].HostName | Should -Be 'one.example.test'
        "$($all[0].Type)" | Should -Be 'PostgreSQL'
    }

    It 'refuses the name ''<Name>'': InvalidIntegrationName' -TestCases $BadNames {
        { New-SecureIntegration -Name $Name -Type PostgreSQL -HostName 'db.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId "InvalidIntegrationName,$($ErrorClass.New)"
        @(Get-SecureIntegration).Count | Should -Be 0
    }

    It 'accepts names of letters, digits, spaces, ''_'', ''.'', ''-'' up to 64 characters' {
        foreach ($name in 'a', 'Z9', 'orders_db-2.eu', 'My orders db', ('x' * 64)) {
            (New-SecureIntegration -Name $name -Type PostgreSQL -HostName 'db.example.test').Name | Should -BeExactly $name
        }
        @(Get-SecureIntegration).Count | Should -Be 5
        (Get-SecureIntegration -Name 'My orders db').HostName | Should -Be 'db.example.test'
    }

    It 'refuses -SshBastion without -SshUser: SshUserRequired, and stores nothing' {
        { New-SecureIntegration -Name 'nouser' -Type PostgreSQL -HostName 'db.example.test' -SshBastion 'bastion.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId "SshUserRequired,$($ErrorClass.New)"
        @(Get-SecureIntegration).Count | Should -Be 0
    }

    It 'refuses -Option @{ ''<Key>'' = ''<Value>'' } for <Type>, which would weaken TLS: SslPolicyViolation' -TestCases $WeakeningOptions {
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'weak' -Type $Type -HostName 'db.example.test' -Option @{ $Key = $Value } -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "SslPolicyViolation,$($ErrorClass.New)"
        $err.Exception.Message | Should -Match ([regex]::Escape($Key))
        @(Get-SecureIntegration).Count | Should -Be 0
    }

    It 'refuses -Option ''<Key>'' (a secret or the endpoint): InvalidOption, and never writes its value' -TestCases $SecretOrEndpointOptions {
        $value = 'opt-' + [guid]::NewGuid().ToString('N')
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'opt' -Type PostgreSQL -HostName 'db.example.test' -Option @{ $Key = $value } -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "InvalidOption,$($ErrorClass.New)"
        @(Get-SecureIntegration).Count | Should -Be 0
        $json = Join-Path $ws 'workspace.json'
        if (Test-Path $json) { Get-Content -Raw $json | Should -Not -Match $value }
    }

    It 'keeps a harmless driver option, and refuses one the driver does not know: InvalidOption' {
        $i = New-SecureIntegration -Name 'tuned' -Type PostgreSQL -HostName 'db.example.test' -Option @{ 'Command Timeout' = 90; 'Application Name' = 'nightly-report' }
        $i.Options['Command Timeout'] | Should -Be '90'
        $i.Options['Application Name'] | Should -Be 'nightly-report'
        { New-SecureIntegration -Name 'unknown' -Type PostgreSQL -HostName 'db.example.test' -Option @{ 'No Such Driver Option' = 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId "InvalidOption,$($ErrorClass.New)"
        (Get-SecureIntegration).Name | Should -Be @('tuned')
    }

    It 'registers nothing with -WhatIf' {
        New-SecureIntegration -Name 'whatif' -Type PostgreSQL -HostName 'db.example.test' -WhatIf | Should -BeNullOrEmpty
        @(Get-SecureIntegration).Count | Should -Be 0
        { Get-SecureIntegration -Name 'whatif' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$($ErrorClass.Get)"
    }
}

Describe 'CA certificates of integrations' {
    BeforeEach { $script:ws = New-TestWorkspace; $script:scratch = New-ScratchDirectory }
    AfterEach { Remove-Item -Recurse -Force $ws, $scratch -ErrorAction SilentlyContinue }

    It 'copies the CA into ca/withca.pem, owner-only, and keeps using it when the original is gone' {
        $upload = New-CaFile (Join-Path $scratch 'moving-ca.pem')
        try {
            $expected = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $upload))
            $i = New-SecureIntegration -Name 'withca' -Type PostgreSQL -HostName 'db.example.test' -SslMode VerifyFull -CaCertificatePath $upload
            $copy = Join-Path $ws 'ca/withca.pem'
            Test-Path $copy | Should -BeTrue
            (Get-Content -Raw $copy).Trim() | Should -BeExactly (Get-Content -Raw $upload).Trim()
            if (-not $IsWindows) { Get-UnixMode $copy | Should -Be '600' }
            $i.CaCertificate.Path | Should -Be $copy
            $i.CaCertificate.Thumbprint | Should -Be $expected.Thumbprint
            $i.CaCertificate.NotAfter | Should -Be $expected.NotAfter
        }
        finally { Remove-Item $upload -ErrorAction SilentlyContinue }

        Test-Path $upload | Should -BeFalse
        (Get-SecureIntegration -Name 'withca').CaCertificate.Thumbprint | Should -Be $expected.Thumbprint

        # Replacing the CA (Set-SecureIntegration) rewrites the copy; removing the integration deletes it.
        $other = New-CaFile (Join-Path $scratch 'other.pem')
        $otherCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem((Get-Content -Raw $other))
        (Set-SecureIntegration -Name 'withca' -CaCertificatePath $other -PassThru).CaCertificate.Thumbprint | Should -Be $otherCert.Thumbprint
        (Get-Content -Raw $copy).Trim() | Should -BeExactly (Get-Content -Raw $other).Trim()
        Remove-SecureIntegration -Name 'withca'
        Test-Path $copy | Should -BeFalse
    }

    It 'refuses <Kind> as a CA: <ErrorId>, and registers nothing' -TestCases $BadCaFiles {
        $path = New-CaFile (Join-Path $scratch 'upload.pem') $Kind
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'badca' -Type PostgreSQL -HostName 'db.example.test' -SslMode VerifyCA -CaCertificatePath $path -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be "$ErrorId,$($ErrorClass.New)"
        $err.Exception.Message | Should -Match ([regex]::Escape($Message))
        @(Get-SecureIntegration).Count | Should -Be 0
        Test-Path (Join-Path $ws 'ca/badca.pem') | Should -BeFalse
    }

    It 'refuses a bad CA in Set-SecureIntegration and Set-SslPolicy and keeps the previous one' {
        $good = New-CaFile (Join-Path $scratch 'good.pem')
        $thumbprint = (New-SecureIntegration -Name 'keep' -Type MariaDB -HostName 'm.example.test' -SslMode VerifyCA -CaCertificatePath $good).CaCertificate.Thumbprint
        $expired = New-CaFile (Join-Path $scratch 'expired.pem') 'an expired certificate'
        $key = New-CaFile (Join-Path $scratch 'key.pem') 'a private key'

        { Set-SecureIntegration -Name 'keep' -CaCertificatePath $expired -ErrorAction Stop } |
            Should -Throw -ErrorId "CaCertificateExpired,$($ErrorClass.Set)"
        { Set-SslPolicy -Integration 'keep' -Mode VerifyFull -CaCertificatePath $key -ErrorAction Stop } |
            Should -Throw -ErrorId 'CaCertificateInvalid,SecureConnect.Commands.SetSslPolicyCommand'
        $i = Get-SecureIntegration -Name 'keep'
        $i.CaCertificate.Thumbprint | Should -Be $thumbprint
        $i.SslMode | Should -Be ([SecureConnect.SslMode]::VerifyCA) -Because 'the refused Set-SslPolicy must not change the mode either'
    }
}

Describe 'SQL Server cannot check an uploaded CA' {
    BeforeEach { $script:ws = New-TestWorkspace; $script:scratch = New-ScratchDirectory }
    AfterEach { Remove-Item -Recurse -Force $ws, $scratch -ErrorAction SilentlyContinue }

    It 'refuses <Mode> with an uploaded CA (SslCaNotSupported, saying how to proceed) before connecting, and never reports a check that did not happen' -TestCases @(
        @{ Mode = 'VerifyCA' }
        @{ Mode = 'VerifyFull' }
    ) {
        $ca = New-CaFile (Join-Path $scratch 'ca.pem')
        # The host does not exist: without the refusal this would fail later, with ConnectionFailed.
        New-SecureIntegration -Name 'mssql' -Type SqlServer -HostName 'mssql.invalid' -SslMode $Mode -CaCertificatePath $ca -Credential ([pscredential]::new('sa', (ConvertTo-SecureString 'x' -AsPlainText -Force))) | Out-Null
        $err = Get-ErrorRecord { Invoke-SecureQuery mssql 'select 1' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'SslCaNotSupported,SecureConnect.Commands.InvokeSecureQueryCommand'
        $err.Exception.Message | Should -Match 'system trust store'
        $err.Exception.Message | Should -Match 'without -CaCertificatePath'
        $report = Get-ErrorRecord { Test-SecureConnection mssql -ErrorAction Stop }
        $report.FullyQualifiedErrorId | Should -Match '^SslCaNotSupported,'
    }
}

Describe 'An integration piped into New-SecureIntegration is copied, setting for setting' {
    # Get-SecureIntegration | New-SecureIntegration -Name copy binds every setting by property name. Empty ones (no
    # database, no bastion, no secret, no jump hosts, no options) once failed [ValidateNotNullOrEmpty]; the bastion's
    # port, the CA, the CRL and the options were silently dropped.
    BeforeEach { $script:ws = New-TestWorkspace; $script:scratch = New-ScratchDirectory }
    AfterEach { Remove-Item -Recurse -Force $ws, $scratch -ErrorAction SilentlyContinue }

    BeforeAll {
        function Get-Settings($i) {
            # Every stored setting of an integration, as text (not the name, not the session credential).
            [ordered]@{
                Type = "$($i.Type)"; HostName = $i.HostName; Port = $i.Port; Database = $i.Database
                SslMode = "$($i.SslMode)"; Ca = $i.CaCertificate.Thumbprint; Crl = if ($i.CrlPath) { [IO.File]::ReadAllText($i.CrlPath) }
                SshBastion = $i.SshBastion; SshBastionPort = $i.SshBastionPort; SshUser = $i.SshUser
                SshJumpHost = ($i.SshJumpHost -join ','); SshHostKeyFingerprint = $i.SshHostKeyFingerprint
                Options = (($i.Options.GetEnumerator() | Sort-Object Key | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join ';')
                CredentialSecret = $i.CredentialSecret
            } | ConvertTo-Json -Compress
        }

        function New-CaWithCrl([string] $Directory) {
            # A CA certificate (with a key identifier, as a CRL needs) and a current, empty CRL signed by it.
            $ecdsa = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
            $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=Copy Test CA', $ecdsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
            $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
            $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension]::new($request.PublicKey, $false))
            $ca = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(30))
            $crl = [System.Security.Cryptography.X509Certificates.CertificateRevocationListBuilder]::new().Build(
                $ca, [System.Numerics.BigInteger]::One, [DateTimeOffset]::UtcNow.AddDays(7), [System.Security.Cryptography.HashAlgorithmName]::SHA256)
            $caPath = Join-Path $Directory 'copy-ca.pem'; Set-Content -Path $caPath -Value $ca.ExportCertificatePem()
            $crlPath = Join-Path $Directory 'copy-ca.crl'; [IO.File]::WriteAllBytes($crlPath, $crl)
            @{ Ca = $caPath; Crl = $crlPath }
        }
    }

    It 'copies an integration that has no database, bastion, secret, jump hosts or options' {
        $source = New-SecureIntegration -Name 'bare' -Type PostgreSQL -HostName 'db.example.test'
        $copy = Get-SecureIntegration -Name 'bare' | New-SecureIntegration -Name 'bare-copy' -ErrorAction Stop
        $copy.Name | Should -BeExactly 'bare-copy'
        Get-Settings $copy | Should -BeExactly (Get-Settings $source)
        (Get-SecureIntegration).Name | Should -Be @('bare', 'bare-copy')
    }

    It 'copies every setting of a full integration: port, database, SSL mode, CA, CRL, bastion with its port, user, jump hosts, pin, options, secret' {
        $files = New-CaWithCrl $scratch
        $params = @{
            Name = 'full'; Type = 'PostgreSQL'; HostName = 'db.example.test'; Port = 6543; Database = 'orders'
            SslMode = 'VerifyFull'; CaCertificatePath = $files.Ca; CrlPath = $files.Crl
            SshBastion = 'bastion.example.test:2200'; SshUser = 'tunnel'; SshJumpHost = @('jumper@jump.example.test:2222')
            SshHostKeyFingerprint = New-Fingerprint; Option = @{ 'Command Timeout' = 45 }; CredentialSecret = 'orders-login'
        }
        $source = New-SecureIntegration @params
        $source.CrlPath | Should -Not -BeNullOrEmpty -Because 'the integration shows where its CRL copy is'
        $copy = Get-SecureIntegration -Name 'full' | New-SecureIntegration -Name 'full-copy' -ErrorAction Stop
        Get-Settings $copy | Should -BeExactly (Get-Settings $source)
        Get-Settings (Get-SecureIntegration -Name 'full-copy') | Should -BeExactly (Get-Settings $source)
        $copy.CaCertificate.Path | Should -Not -Be $source.CaCertificate.Path -Because 'the copy has its own CA file'
        $copy.CrlPath | Should -Not -Be $source.CrlPath
    }

    It 'copies a saved SSH tunnel' {
        $source = New-SecureIntegration -Name 'api' -Type SshTunnel -HostName 'api.example.test' -Port 8080 -SshBastion 'ops@b.example.test:2022' -WarningAction SilentlyContinue
        $copy = Get-SecureIntegration -Name 'api' | New-SecureIntegration -Name 'api2' -ErrorAction Stop -WarningAction SilentlyContinue
        Get-Settings $copy | Should -BeExactly (Get-Settings $source)
    }

    It 'copies an integration to another workspace through Export-Clixml and Import-Clixml' {
        $files = New-CaWithCrl $scratch
        $source = New-SecureIntegration -Name 'moved' -Type MariaDB -HostName 'm.example.test' -SslMode VerifyCA -CaCertificatePath $files.Ca -CrlPath $files.Crl -SshBastion 'ops@b.example.test:2022' -Option @{ 'Connection Timeout' = 9 }
        $xml = Join-Path $scratch 'integrations.xml'
        Get-SecureIntegration | Export-Clixml -Path $xml
        $other = New-TestWorkspace
        try {
            $copy = Import-Clixml -Path $xml | New-SecureIntegration -ErrorAction Stop
            $copy.Name | Should -BeExactly 'moved'
            Get-Settings $copy | Should -BeExactly (Get-Settings $source)
            $copy.CaCertificate.Path | Should -BeLike "$other*" -Because 'the CA is copied into the new workspace'
        } finally {
            $env:SECURECONNECT_HOME = $ws
            Remove-Item -Recurse -Force $other -ErrorAction SilentlyContinue
        }
    }

    It 'still refuses a bastion port that contradicts the port in -SshBastion: ParameterConflict' {
        { New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName 'db.example.test' -SshBastion 'ops@b.example.test:2022' -SshBastionPort 2200 -ErrorAction Stop } |
            Should -Throw -ErrorId "ParameterConflict,$($ErrorClass.New)"
        Get-SecureIntegration | Should -BeNullOrEmpty
    }

    It 'still refuses a host key fingerprint that is not one, while an empty one (a piped integration without a pin) counts as none' {
        { New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName 'db.example.test' -SshBastion 'ops@b.example.test' -SshHostKeyFingerprint 'SHA256:short' -ErrorAction Stop } |
            Should -Throw -ErrorId "ParameterArgumentValidationError,$($ErrorClass.New)"
        (New-SecureIntegration -Name 'y' -Type PostgreSQL -HostName 'db.example.test' -SshBastion 'ops@b.example.test' -SshHostKeyFingerprint '').SshHostKeyFingerprint | Should -BeNullOrEmpty
    }
}

Describe 'Get-SecureIntegration' {
    BeforeAll {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name 'pg-b' -Type PostgreSQL -HostName 'b.example.test' | Out-Null
        New-SecureIntegration -Name 'pg-a' -Type PostgreSQL -HostName 'a.example.test' | Out-Null
        New-SecureIntegration -Name 'my-a' -Type MySQL -HostName 'm.example.test' | Out-Null
    }
    BeforeEach { $env:SECURECONNECT_HOME = $ws }
    AfterAll { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'lists every integration sorted by name' {
        (Get-SecureIntegration).Name | Should -Be @('my-a', 'pg-a', 'pg-b')
    }

    It 'matches wildcards without regard to case: <Pattern>' -TestCases @(
        @{ Pattern = 'pg-*'; Expected = @('pg-a', 'pg-b') }
        @{ Pattern = 'PG-*'; Expected = @('pg-a', 'pg-b') }
        @{ Pattern = '*-a'; Expected = @('my-a', 'pg-a') }
        @{ Pattern = '?g-[ab]'; Expected = @('pg-a', 'pg-b') }
        @{ Pattern = 'MY-A'; Expected = @('my-a') }
    ) {
        (Get-SecureIntegration -Name $Pattern).Name | Should -Be $Expected
    }

    It 'returns nothing and no error for a wildcard that matches nothing' {
        $found = Get-SecureIntegration -Name 'nomatch*' -ErrorVariable errs
        $found | Should -BeNullOrEmpty
        $errs | Should -BeNullOrEmpty
    }

    It 'reports IntegrationNotFound for a name that does not exist, and still returns the others' {
        $found = Get-SecureIntegration -Name 'pg-a', 'missing', 'my-a' -ErrorAction SilentlyContinue -ErrorVariable errs
        $found.Name | Should -Be @('pg-a', 'my-a')
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "IntegrationNotFound,$($ErrorClass.Get)"
        $errs[0].Exception.Message | Should -Match 'missing'
        { Get-SecureIntegration -Name 'missing' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$($ErrorClass.Get)"
    }

    It 'takes names from the pipeline' {
        ('pg-b', 'my-a' | Get-SecureIntegration).Name | Should -Be @('pg-b', 'my-a')
        ([pscustomobject]@{ Name = 'pg-a' } | Get-SecureIntegration).HostName | Should -Be 'a.example.test'
    }
}

Describe 'Set-SecureIntegration' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name 'pg-a' -Type PostgreSQL -HostName 'a.example.test' -Port 5432 -Database 'app' -SslMode Required -SshBastion 'bastion.example.test:2200' -SshUser 'tunnel' -Option @{ 'Command Timeout' = 30 } | Out-Null
        New-SecureIntegration -Name 'pg-b' -Type PostgreSQL -HostName 'b.example.test' | Out-Null
        New-SecureIntegration -Name 'my-a' -Type MySQL -HostName 'm.example.test' | Out-Null
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'changes only what it is given; outputs the integration only with -PassThru' {
        Set-SecureIntegration -Name 'pg-a' -Port 6432 | Should -BeNullOrEmpty
        $i = Set-SecureIntegration -Name 'pg-a' -Database 'reports' -SslMode Strict -PassThru
        $i | Should -BeOfType ([SecureConnect.Integration])
        $i.Port | Should -Be 6432
        $i.Database | Should -Be 'reports'
        $i.SslMode | Should -Be ([SecureConnect.SslMode]::VerifyFull)
        $i.SslModeSource | Should -Be 'Integration'
        $i.HostName | Should -Be 'a.example.test'
        $i.SshBastion | Should -Be 'bastion.example.test'
        $i.SshBastionPort | Should -Be 2200
        $i.Options['Command Timeout'] | Should -Be '30'
        (Get-SecureIntegration -Name 'pg-a').Database | Should -Be 'reports'
        (Get-SecureIntegration -Name 'pg-b').Port | Should -Be 5432
    }

    It 'sets the user and keeps the credential for the session with -Credential' {
        (Get-SecureIntegration -Name 'pg-b').HasSessionCredential | Should -BeFalse
        $i = Set-SecureIntegration -Name 'pg-b' -Credential (New-TestCredential 'reader') -PassThru
        $i.UserName | Should -Be 'reader'
        $i.HasSessionCredential | Should -BeTrue
        (Get-SecureIntegration -Name 'pg-b').HasSessionCredential | Should -BeTrue
    }

    It 'removes the bastion with -NoSsh, and sets a new one with -SshBastion' {
        $i = Set-SecureIntegration -Name 'pg-a' -NoSsh -PassThru
        $i.SshBastion | Should -BeNullOrEmpty
        $i.SshUser | Should -BeNullOrEmpty
        (Get-SecureIntegration -Name 'pg-a').SshBastion | Should -BeNullOrEmpty
        $i = Set-SecureIntegration -Name 'pg-b' -SshBastion 'other.example.test:2222' -SshUser 'ops' -PassThru
        $i.SshBastion | Should -Be 'other.example.test'
        $i.SshBastionPort | Should -Be 2222
        $i.SshUser | Should -Be 'ops'
        { Set-SecureIntegration -Name 'my-a' -SshBastion 'other.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId "SshUserRequired,$($ErrorClass.Set)"
        (Get-SecureIntegration -Name 'my-a').SshBastion | Should -BeNullOrEmpty
    }

    It 'replaces the options, refuses weakening ones (SslPolicyViolation) and keeps the previous ones' {
        (Set-SecureIntegration -Name 'pg-a' -Option @{ 'Application Name' = 'etl' } -PassThru).Options.Keys | Should -Be @('Application Name')
        { Set-SecureIntegration -Name 'pg-a' -Option @{ 'Trust Server Certificate' = $true } -ErrorAction Stop } |
            Should -Throw -ErrorId "SslPolicyViolation,$($ErrorClass.Set)"
        { Set-SecureIntegration -Name 'pg-a' -Option @{ Password = 'x' } -ErrorAction Stop } |
            Should -Throw -ErrorId "InvalidOption,$($ErrorClass.Set)"
        $options = (Get-SecureIntegration -Name 'pg-a').Options
        $options.Keys | Should -Be @('Application Name')
        $options['Application Name'] | Should -Be 'etl'
    }

    It 'changes every integration piped in by Name' {
        Get-SecureIntegration -Name 'pg-*' | Set-SecureIntegration -Port 7000
        (Get-SecureIntegration -Name 'pg-*').Port | Should -Be @(7000, 7000)
        (Get-SecureIntegration -Name 'my-a').Port | Should -Be 3306
        'my-a' | Set-SecureIntegration -Database 'shop'
        (Get-SecureIntegration -Name 'my-a').Database | Should -Be 'shop'
    }

    It 'changes nothing with -WhatIf' {
        Set-SecureIntegration -Name 'pg-a' -Port 9999 -SslMode Preferred -WhatIf
        $i = Get-SecureIntegration -Name 'pg-a'
        $i.Port | Should -Be 5432
        $i.SslMode | Should -Be ([SecureConnect.SslMode]::Required)
    }

    It 'reports IntegrationNotFound for a name that does not exist' {
        { Set-SecureIntegration -Name 'missing' -Port 1 -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$($ErrorClass.Set)"
        @(Get-SecureIntegration).Count | Should -Be 3
    }
}

Describe 'Validation at the door: host names, the workspace SSL minimum, the credential secret' {
    BeforeEach { $script:ws = New-TestWorkspace }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'refuses -HostName ''<HostName>'' (<Why>) with InvalidHostName saying "<Says>", and registers nothing' -TestCases @(
        @{ HostName = 'db:5432'; Why = 'a port in the name'; Says = 'holds a port: give the host and the port apart, -HostName db -Port 5432' }
        @{ HostName = '[fd00::5]:5432'; Why = 'a port after an IPv6 address'; Says = '-HostName fd00::5 -Port 5432' }
        @{ HostName = 'postgres://db'; Why = 'a URL'; Says = 'is a URL, not a host name: give the host name only (-HostName db)' }
        @{ HostName = 'postgres://db.example.test:6432/app'; Why = 'a URL with a port'; Says = '(-HostName db.example.test -Port 6432)' }
        @{ HostName = 'my db'; Why = 'a space'; Says = 'it holds a space' }
        @{ HostName = 'db/app'; Why = 'a slash'; Says = "it holds '/'" }
        @{ HostName = 'admin@db'; Why = 'a user'; Says = "it holds '@'" }
        @{ HostName = 'db..example'; Why = 'an empty label'; Says = 'labels separated by single dots' }
    ) {
        $e = Get-ErrorRecord { New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName $HostName -ErrorAction Stop }
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -Be "InvalidHostName,$($ErrorClass.New)"
        "$($e.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be $HostName
        $e.Exception.Message.Contains($Says) | Should -BeTrue -Because $e.Exception.Message
        @(Get-SecureIntegration).Count | Should -Be 0
    }

    It 'refuses such a -HostName in Set-SecureIntegration too, and keeps the host it had' {
        New-SecureIntegration -Name 'x' -Type PostgreSQL -HostName 'db.example.test' | Out-Null
        { Set-SecureIntegration -Name 'x' -HostName 'db.example.test:5433' -ErrorAction Stop } | Should -Throw -ErrorId "InvalidHostName,$($ErrorClass.Set)"
        { Set-SecureIntegration -Name 'x' -HostName 'mysql://db' -ErrorAction Stop } | Should -Throw -ErrorId "InvalidHostName,$($ErrorClass.Set)"
        $i = Get-SecureIntegration -Name 'x'
        $i.HostName | Should -Be 'db.example.test'
        $i.Port | Should -Be 5432
    }

    It 'refuses such a -HostName in the ad-hoc query cmdlets too, before connecting, pointing a URL at -ConnectionString' {
        $e = Get-ErrorRecord { Invoke-SecureQuery -Type PostgreSQL -HostName 'postgres://db.example.test/app' -Query 'select 1' -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidHostName,SecureConnect.Commands.InvokeSecureQueryCommand'
        $e.Exception.Message | Should -BeLike '*(-HostName db.example.test), or pass the whole connection string with -ConnectionString*'
        { Test-SecureConnection -Type PostgreSQL -HostName 'db.example.test:5432' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidHostName,SecureConnect.Commands.TestSecureConnectionCommand'
        $path = Join-Path $TestDrive 'never.csv'
        { Export-SecureQuery -Type MySQL -HostName 'my db' -Query 'select 1' -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidHostName,SecureConnect.Commands.ExportSecureQueryCommand'
        Test-Path $path | Should -BeFalse
    }

    It 'accepts DNS names, IPv4 and IPv6 addresses: ''<HostName>''' -TestCases @(
        @{ HostName = 'db.example.test' }, @{ HostName = 'db-1_internal.corp' }, @{ HostName = '10.0.0.5' }, @{ HostName = 'fd00::5' }, @{ HostName = 'localhost' }
    ) {
        (New-SecureIntegration -Name 'ok' -Type PostgreSQL -HostName $HostName -ErrorAction Stop).HostName | Should -Be $HostName
    }

    It 'warns when an integration is created below the workspace minimum (its queries would be refused), and still registers it' {
        Set-SslPolicy -Minimum VerifyCA | Out-Null
        $w = $null
        $i = New-SecureIntegration -Name 'lax' -Type PostgreSQL -HostName 'a.example.test' -SslMode Required -WarningVariable w -WarningAction SilentlyContinue
        $i.Name | Should -Be 'lax'
        @($w).Count | Should -Be 1
        "$($w[0])" | Should -BeLike "*'lax' uses SSL mode Required (its own -SslMode), below the workspace minimum VerifyCA*SslPolicyViolation*Set-SslPolicy -Integration lax -Mode VerifyCA"
        (Get-SecureIntegration -Name 'lax').Name | Should -Be 'lax'

        # Inheriting the built-in Preferred is below too; at the minimum, or a saved tunnel (no SSL mode), is not.
        $w = $null
        New-SecureIntegration -Name 'inherits' -Type MySQL -HostName 'b.example.test' -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$($w[0])" | Should -BeLike "*'inherits' uses SSL mode Preferred*below the workspace minimum VerifyCA*"
        $w = $null
        New-SecureIntegration -Name 'strict' -Type MySQL -HostName 'c.example.test' -SslMode VerifyCA -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        @($w).Count | Should -Be 0
        New-SecureIntegration -Name 'api' -Type SshTunnel -HostName 'api.example.test' -Port 8080 -SshBastion 'b.example.test' -SshUser 'ops' -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        @($w).Count | Should -Be 0
        # Set-SecureIntegration -SslMode below the minimum says it too.
        $w = $null
        Set-SecureIntegration -Name 'strict' -SslMode Preferred -WarningVariable w -WarningAction SilentlyContinue
        "$($w[0])" | Should -BeLike "*'strict' uses SSL mode Preferred (its own -SslMode), below the workspace minimum VerifyCA*"
    }

    It 'does not warn without a workspace minimum' {
        $w = $null
        New-SecureIntegration -Name 'lax' -Type PostgreSQL -HostName 'a.example.test' -SslMode Preferred -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        @($w).Count | Should -Be 0
    }

    It 'shows -CredentialSecret on the integration (its name, never a value) and clears it with -NoCredentialSecret' {
        $i = New-SecureIntegration -Name 'shop' -Type MySQL -HostName 'm.example.test' -CredentialSecret 'shop-reader'
        $i.CredentialSecret | Should -Be 'shop-reader'
        (Get-SecureIntegration -Name 'shop').CredentialSecret | Should -Be 'shop-reader'
        (Get-SecureIntegration -Name 'shop' | Format-List | Out-String) | Should -Match 'CredentialSecret\s+: shop-reader'
        (Set-SecureIntegration -Name 'shop' -CredentialSecret 'shop-writer' -PassThru).CredentialSecret | Should -Be 'shop-writer'

        Set-SecureIntegration -Name 'shop' -NoCredentialSecret -WhatIf
        (Get-SecureIntegration -Name 'shop').CredentialSecret | Should -Be 'shop-writer'
        { Set-SecureIntegration -Name 'shop' -CredentialSecret 'x' -NoCredentialSecret -ErrorAction Stop } | Should -Throw -ErrorId "ParameterConflict,$($ErrorClass.Set)"
        (Get-SecureIntegration -Name 'shop').CredentialSecret | Should -Be 'shop-writer'

        (Set-SecureIntegration -Name 'shop' -NoCredentialSecret -PassThru).CredentialSecret | Should -BeNullOrEmpty
        (Get-SecureIntegration -Name 'shop').CredentialSecret | Should -BeNullOrEmpty
        Get-WorkspaceJson | Should -Not -Match 'credentialSecret'
    }
}

Describe 'Remove-SecureIntegration' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-SecureIntegration -Name 'pg-a' -Type PostgreSQL -HostName 'a.example.test' -Credential (New-TestCredential) | Out-Null
        New-SecureIntegration -Name 'pg-b' -Type PostgreSQL -HostName 'b.example.test' | Out-Null
        New-SecureIntegration -Name 'my-a' -Type MySQL -HostName 'm.example.test' | Out-Null
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It 'removes one integration and forgets its session credential' {
        (Get-SecureIntegration -Name 'pg-a').HasSessionCredential | Should -BeTrue
        Remove-SecureIntegration -Name 'pg-a'
        (Get-SecureIntegration).Name | Should -Be @('my-a', 'pg-b')
        (Get-WorkspaceJson | ConvertFrom-Json).integrations.PSObject.Properties.Name | Should -Not -Contain 'pg-a'
        # A new integration of the same name does not inherit the removed one's credential.
        (New-SecureIntegration -Name 'pg-a' -Type PostgreSQL -HostName 'a.example.test').HasSessionCredential | Should -BeFalse
    }

    It 'removes nothing with -WhatIf' {
        Remove-SecureIntegration -Name 'pg-a' -WhatIf
        Get-SecureIntegration -Name 'pg-*' | Remove-SecureIntegration -WhatIf
        (Get-SecureIntegration).Name | Should -Be @('my-a', 'pg-a', 'pg-b')
    }

    It 'removes every integration piped in by Name (objects or strings)' {
        Get-SecureIntegration -Name 'pg-*' | Remove-SecureIntegration
        (Get-SecureIntegration).Name | Should -Be @('my-a')
        'my-a' | Remove-SecureIntegration
        @(Get-SecureIntegration).Count | Should -Be 0
    }

    It 'reports IntegrationNotFound for a name that does not exist, and removes the others' {
        'missing', 'pg-b' | Remove-SecureIntegration -ErrorAction SilentlyContinue -ErrorVariable errs
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be "IntegrationNotFound,$($ErrorClass.Remove)"
        (Get-SecureIntegration).Name | Should -Be @('my-a', 'pg-a')
        { Remove-SecureIntegration -Name 'missing' -ErrorAction Stop } | Should -Throw -ErrorId "IntegrationNotFound,$($ErrorClass.Remove)"
    }
}

Describe 'Integrations persist in workspace.json, credentials do not' {
    BeforeEach { $script:ws = New-TestWorkspace; $script:scratch = New-ScratchDirectory }
    AfterEach { Remove-Item -Recurse -Force $ws, $scratch -ErrorAction SilentlyContinue }

    It 'a fresh process sees the integration, without the session credential, and its changes come back' {
        $password = 'Pw-' + [guid]::NewGuid().ToString('N')
        $ca = New-CaFile (Join-Path $scratch 'upload.pem')
        $new = New-SecureIntegration -Name 'persisted' -Type MariaDB -HostName 'm.example.test' -Port 3307 -Database 'shop' -Credential (New-TestCredential 'shopper' $password) -SslMode VerifyCA -CaCertificatePath $ca -SshBastion 'bastion.example.test' -SshUser 'tunnel' -Option @{ 'Connection Lifetime' = 60 }
        $new.HasSessionCredential | Should -BeTrue

        $raw = Get-WorkspaceJson
        $raw | Should -Not -Match $password
        $stored = ($raw | ConvertFrom-Json).integrations.persisted
        $stored.hostName | Should -Be 'm.example.test'
        $stored.userName | Should -Be 'shopper'

        $child = Invoke-ChildPwsh -Environment @{ SECURECONNECT_HOME = $ws; SECURECONNECT_MODULE_PATH = $env:SECURECONNECT_MODULE_PATH } -Script @'
$ErrorActionPreference = 'Stop'
Import-Module $env:SECURECONNECT_MODULE_PATH
$i = Get-SecureIntegration -Name 'persisted'
Set-SecureIntegration -Name 'persisted' -Port 3308
[pscustomobject]@{
    Name = $i.Name; Type = "$($i.Type)"; HostName = $i.HostName; Port = $i.Port; Database = $i.Database; UserName = $i.UserName
    SslMode = "$($i.SslMode)"; SslModeSource = $i.SslModeSource; CaThumbprint = $i.CaCertificate.Thumbprint
    SshBastion = $i.SshBastion; SshUser = $i.SshUser; Option = $i.Options['Connection Lifetime']; HasSessionCredential = $i.HasSessionCredential
} | ConvertTo-Json -Compress
'@
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $seen = ($child.Output.Trim() -split "`n" | Select-Object -Last 1) | ConvertFrom-Json
        $seen.Name | Should -Be 'persisted'
        $seen.Type | Should -Be 'MariaDB'
        $seen.HostName | Should -Be 'm.example.test'
        $seen.Port | Should -Be 3307
        $seen.Database | Should -Be 'shop'
        $seen.UserName | Should -Be 'shopper'
        $seen.SslMode | Should -Be 'VerifyCA'
        $seen.SslModeSource | Should -Be 'Integration'
        $seen.CaThumbprint | Should -Be $new.CaCertificate.Thumbprint
        $seen.SshBastion | Should -Be 'bastion.example.test'
        $seen.SshUser | Should -Be 'tunnel'
        $seen.Option | Should -Be '60'
        $seen.HasSessionCredential | Should -BeFalse -Because 'credentials live in the memory of the process that was given them'

        # The child's change is read back here (the workspace is read on every call); the credential stays.
        $back = Get-SecureIntegration -Name 'persisted'
        $back.Port | Should -Be 3308
        $back.HasSessionCredential | Should -BeTrue
    }

    It 'keeps session credentials per workspace' {
        New-SecureIntegration -Name 'same' -Type PostgreSQL -HostName 'db.example.test' -Credential (New-TestCredential) | Out-Null
        $other = New-TestWorkspace
        try {
            $i = New-SecureIntegration -Name 'same' -Type PostgreSQL -HostName 'db.example.test'
            $i.HasSessionCredential | Should -BeFalse
            @(Get-SecureIntegration).Count | Should -Be 1
        }
        finally {
            Remove-Item -Recurse -Force $other -ErrorAction SilentlyContinue
            $env:SECURECONNECT_HOME = $ws
        }
        (Get-SecureIntegration -Name 'same').HasSessionCredential | Should -BeTrue
    }
}

Describe 'A workspace.json edited by hand: integrations' {
    BeforeEach {
        $script:ws = New-TestWorkspace
        New-Item -ItemType Directory -Path $ws | Out-Null
        $script:settingsFile = Join-Path $ws 'workspace.json'
    }
    AfterEach { Remove-Item -Recurse -Force $ws -ErrorAction SilentlyContinue }

    It '"integrations": <Json> is WorkspaceCorrupt naming the file, $.integrations and the value, and no change overwrites it' -TestCases @(
        @{ Json = '[]' }
        @{ Json = '5' }
    ) {
        $content = "{`n  ""version"": 1,`n  ""integrations"": $Json`n}`n"
        Set-Content -Path $settingsFile -Value $content -NoNewline
        $err = Get-ErrorRecord { Get-SecureIntegration -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetSecureIntegrationCommand'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $err.Exception.Message | Should -Match ([regex]::Escape($settingsFile))
        $err.Exception.Message | Should -Match ([regex]::Escape("$Json at `$.integrations"))

        $err = Get-ErrorRecord { New-SecureIntegration -Name 'db' -Type PostgreSQL -HostName 'db.example.test' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.NewSecureIntegrationCommand'
        { Set-SslPolicy -Minimum VerifyFull -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.SetSslPolicyCommand'
        { Add-EgressAddress 192.0.2.1 -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.AddEgressAddressCommand'
        Get-Content -Raw $settingsFile | Should -BeExactly $content
    }

    It 'a CaCertificateFile of <Value> (outside the workspace''s ca folder) is WorkspaceCorrupt, never read nor deleted' -TestCases @(
        @{ Value = '../../etc/ssl/x.pem' }
        @{ Value = '../outside.pem' }
        @{ Value = '/etc/ssl/certs/outside.pem' }
    ) {
        # A file the value points at (when it lands in the test's own folders) must survive Remove-SecureIntegration.
        $outside = Join-Path $ws 'outside.pem'
        Set-Content -Path $outside -Value 'not a CA of this integration'
        $content = '{ "version": 1, "integrations": { "db": { "type": "PostgreSQL", "hostName": "db.example.test", "port": 5432, "sslMode": "VerifyCA", "caCertificateFile": "' + $Value + '" } } }'
        Set-Content -Path $settingsFile -Value $content -NoNewline

        $err = Get-ErrorRecord { Get-SecureIntegration -Name 'db' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceCorrupt,SecureConnect.Commands.GetSecureIntegrationCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape('$.integrations.db.caCertificateFile'))
        $err.Exception.Message | Should -Match ([regex]::Escape($Value))
        { Test-SecureConnection 'db' -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.TestSecureConnectionCommand'
        { Remove-SecureIntegration -Name 'db' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceCorrupt,SecureConnect.Commands.RemoveSecureIntegrationCommand'
        Test-Path $outside | Should -BeTrue
        Get-Content -Raw $settingsFile | Should -BeExactly $content
    }

    It 'a newer format ("version": 99) is WorkspaceVersionUnsupported, saying both versions, and is never written to' {
        $content = '{ "version": 99, "integrations": {}, "somethingNew": { "x": 1 } }'
        Set-Content -Path $settingsFile -Value $content -NoNewline
        $err = Get-ErrorRecord { Get-SecureIntegration -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceVersionUnsupported,SecureConnect.Commands.GetSecureIntegrationCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($settingsFile))
        $err.Exception.Message | Should -Match 'version 99'
        $err.Exception.Message | Should -Match 'reads version 1'
        $err.Exception.Message | Should -Match 'Update the SecureConnect module'

        { New-SecureIntegration -Name 'db' -Type PostgreSQL -HostName 'db.example.test' -ErrorAction Stop } |
            Should -Throw -ErrorId 'WorkspaceVersionUnsupported,SecureConnect.Commands.NewSecureIntegrationCommand'
        { Set-SslPolicy -Default -Mode Required -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceVersionUnsupported,SecureConnect.Commands.SetSslPolicyCommand'
        { Add-EgressAddress 192.0.2.1 -ErrorAction Stop } | Should -Throw -ErrorId 'WorkspaceVersionUnsupported,SecureConnect.Commands.AddEgressAddressCommand'
        Get-Content -Raw $settingsFile | Should -BeExactly $content
    }

    It 'a workspace that cannot be written is WorkspaceNotWritable naming the path, not a raw file error' {
        # As root, permissions cannot be taken away: a file where a folder must be makes the writes fail instead.
        $blocker = Join-Path $ws 'a-file'
        Set-Content -Path $blocker -Value 'not a folder'
        $env:SECURECONNECT_HOME = Join-Path $blocker 'ws'
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'db' -Type PostgreSQL -HostName 'db.example.test' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceNotWritable,SecureConnect.Commands.NewSecureIntegrationCommand'
        $err.Exception.Message | Should -Match ([regex]::Escape($env:SECURECONNECT_HOME))

        $env:SECURECONNECT_HOME = $ws
        New-Item -ItemType Directory -Path $settingsFile | Out-Null
        $err = Get-ErrorRecord { New-SecureIntegration -Name 'db' -Type PostgreSQL -HostName 'db.example.test' -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceNotWritable,SecureConnect.Commands.NewSecureIntegrationCommand'
        $err.TargetObject | Should -Be $settingsFile
        Remove-Item $settingsFile

        Remove-Item -Force (Join-Path $ws '.lock') -ErrorAction SilentlyContinue
        New-Item -ItemType Directory -Path (Join-Path $ws '.lock') | Out-Null
        $err = Get-ErrorRecord { Set-SslPolicy -Minimum Required -ErrorAction Stop }
        $err.FullyQualifiedErrorId | Should -Be 'WorkspaceNotWritable,SecureConnect.Commands.SetSslPolicyCommand'
        $err.TargetObject | Should -Be (Join-Path $ws '.lock')
    }
}
