// TEST KEYS ONLY. Every private key in this file was generated for these tests on a throwaway machine and is
// used nowhere else; they are public by being here. Passphrase of the encrypted ones: "correct horse".
// Generated with OpenSSH_9.2p1 ssh-keygen and OpenSSL 3.0 by the commands noted on each key; the expected
// fingerprints and public key lines are what "ssh-keygen -l -E sha256 -f" and the .pub files said.
namespace SecureConnect.Tests.Ssh;

/// <summary>Key files made by the real ssh-keygen and OpenSSL, for interoperability tests. TEST KEYS ONLY.</summary>
internal static class SshTestKeys
{
    public const string Passphrase = "correct horse";

    /// <summary>ssh-keygen -t ed25519 -a 16 -N &quot;correct horse&quot; -C test-ed25519-enc</summary>
    public const string Ed25519Encrypted = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABCb/hTHyR
        +Tv+P9ziCdoh23AAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN4
        2ug2qySDoV3emzom8KIz62w1KH27AAAAoAuniR/zL04As/D3AsHZfBFVlwEguwgiebPgAS
        L19HO9d6dw4zoBGYZIXNa7qBchQWlpS95mZF0yRrAeSeFUh/1pq0G2opFZBysw1JAS+skj
        blsvR3g86zbOlItsMnue9cJrW/gAVRSyTXLrHmGDX557WdU9aHNWLNEW8ts/Jm6zRTKL3c
        ckocWieeXMdMRygW8RCTr4zwEWDQF3rxx2hrc=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519EncryptedFingerprint = "SHA256:PrBJ9iWBthi6ENq0wWDLKQzSQZdgE5CGLqhGEfbIZ5o";

    public const string Ed25519EncryptedPublicLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27 test-ed25519-enc";

    /// <summary>ssh-keygen -t rsa -b 2048 -N &quot;&quot; -C test-rsa2048</summary>
    public const string Rsa2048 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABFwAAAAdzc2gtcn
        NhAAAAAwEAAQAAAQEAnb6uq2jT423uB032how0lEOgiBgO2dFPkldy97pHSAa0WDrPX1eL
        1pIjBgiMtjMIOGGyNaEDNWHhWYPwgs+k2nlMl/MT/OYXwZvWkrG83+jHM4+sivZS+LfUQ6
        2YBXPEr0WpiZjCKVB6rZG3oD7gsWMWLPV//jW3DrTnPpAjw+isc7XgITnY8jdKDSF7MXNJ
        3x67IlXu/S/Hp+qVWNyj6AiTAHsTMuqNjcfZtAfoop17dMD80TIc2DT7l9zQ+Ro05SQrik
        yzFh1HoPMeipsxK3glnx8wopOxPikPQ84rXKoQJ3PkOSRjL8JwzgLxdSlBjtpgdsd1Qrv4
        T5ZuD2ImtwAAA8jBJEJ0wSRCdAAAAAdzc2gtcnNhAAABAQCdvq6raNPjbe4HTfaGjDSUQ6
        CIGA7Z0U+SV3L3ukdIBrRYOs9fV4vWkiMGCIy2Mwg4YbI1oQM1YeFZg/CCz6TaeUyX8xP8
        5hfBm9aSsbzf6Mczj6yK9lL4t9RDrZgFc8SvRamJmMIpUHqtkbegPuCxYxYs9X/+NbcOtO
        c+kCPD6KxzteAhOdjyN0oNIXsxc0nfHrsiVe79L8en6pVY3KPoCJMAexMy6o2Nx9m0B+ii
        nXt0wPzRMhzYNPuX3ND5GjTlJCuKTLMWHUeg8x6KmzEreCWfHzCik7E+KQ9DzitcqhAnc+
        Q5JGMvwnDOAvF1KUGO2mB2x3VCu/hPlm4PYia3AAAAAwEAAQAAAQBGPWgNj0n6VTLOMdr6
        ImgvNMXAk+XY+6jQ4vugb2PaIJIhT16Td6oey0epIhl179dTM71kv+Nr27+6WlO4C7m+Rp
        DigCyASfx+C2RKQbZ2hXJd9TXBUtmzQjfUQvIUS25jFUPerxSVzO4zZ1U6l4T5t8NiFZb+
        nPB8LfViGFC0pK1bVl4b3Pkzta54cBmAOBb36ZY8wQk/jLPaSupeqqh/MYyAtQttIdjDHU
        Ubo2AGpaqh3E60/fFHxd+AdXY+740cIEI7SqjXR6WTn/wKaV58+otnRtn6zBJs6Gr1jwZe
        wKIDXHaaRtRECleh+aQfbDl/1OC945a8vz5pJvfdAAlxAAAAgFhfGN1mspWr8GRAyqfmG2
        Jr2uftowG3PY636987BLu3dM/5X1HndHJJmgUPrAhS+DlkPMWT1AsA99yarE3uTWCW/gbk
        eMvkaBOqPCfNvw2C/UnU8NYka4ViAgJkZlRLQJ7UU169kwpV694zEvWb6Q1pIkeHX/nxef
        BQOE/BgptwAAAAgQDLhe25l6E8gwMiZ3vx400EJ1/CQ2Kq7Z9SSpndgvYeZ13kzSo/I2vM
        yey2ZCWCgRui1BXKqRrQN54tzdGO5g5NjO1pwm7NueVtztTYiCymezIVe+z7fhp7gWCNLp
        QMMBemWZJtFaRnQExyhrBZo0NuOipVvpemjbRHICAm0k2b+wAAAIEAxmsJ2Bdrwa0zQiyU
        qJXXm37cKnND2a4RGqXXAJBBTpZ+DGpJ06NNFXbVOSpMcbpczB9EAijSfDZF/2dcsjOPLO
        ng5+R+FMj5yVW1xyw6tKu87W9W5p0l4LAbubxufpGNcPruqNrZz2F/nF/W5kWoMvxqRxXW
        4jJfRFUVhqESB3UAAAAMdGVzdC1yc2EyMDQ4AQIDBAUGBw==
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Rsa2048Fingerprint = "SHA256:ydcQtvHsQgGSCi1pKyCSGcqLsEK2I1bJzhws8FJH/Dk";

    public const string Rsa2048PublicLine = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCdvq6raNPjbe4HTfaGjDSUQ6CIGA7Z0U+SV3L3ukdIBrRYOs9fV4vWkiMGCIy2Mwg4YbI1oQM1YeFZg/CCz6TaeUyX8xP85hfBm9aSsbzf6Mczj6yK9lL4t9RDrZgFc8SvRamJmMIpUHqtkbegPuCxYxYs9X/+NbcOtOc+kCPD6KxzteAhOdjyN0oNIXsxc0nfHrsiVe79L8en6pVY3KPoCJMAexMy6o2Nx9m0B+iinXt0wPzRMhzYNPuX3ND5GjTlJCuKTLMWHUeg8x6KmzEreCWfHzCik7E+KQ9DzitcqhAnc+Q5JGMvwnDOAvF1KUGO2mB2x3VCu/hPlm4PYia3 test-rsa2048";

    /// <summary>ssh-keygen -t ecdsa -b 256 -N &quot;correct horse&quot; -C test-ecdsa-enc</summary>
    public const string Ecdsa256Encrypted = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBAk4qy8D
        Sfaz7M4QM1ywHbAAAAEAAAAAEAAABoAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz
        dHAyNTYAAABBBPZ7IQIDO08k8HrkZWw/c223t2cOsQKkN1j2JZns8s0dpaNy055bokyyMe
        Faz05/s22kMpsmegNsdRzPQ/mn8ogAAACwv4keq4pCzQos0JEcfYmQ00YLGiWeO+8htNF8
        lrEF2QHMNzl/d9U7b60tD+FcnDt0c08XzpkHCMCrV1cJAV0DFEJSikiexcD5i11Hmy0Ggr
        gtUeKSP2bGAfE69RsSiXNPSmF0//c07bvHmfQMuddFOAlavdzjcN1xk+94LxEcRT7P63sP
        m5mZKNmEgn4h6HzlJyhZasxElmFoXpYV71qxkXRXMpxZVhdDzNAjIW2uuPM=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ecdsa256EncryptedFingerprint = "SHA256:hptwT+eLaYhn3FcqhOctMoYC8nhLqiSBkW4p/ZpZqcc";

    public const string Ecdsa256EncryptedPublicLine = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPZ7IQIDO08k8HrkZWw/c223t2cOsQKkN1j2JZns8s0dpaNy055bokyyMeFaz05/s22kMpsmegNsdRzPQ/mn8og= test-ecdsa-enc";

    /// <summary>ssh-keygen -t ecdsa -b 384 -N &quot;&quot; -C test-ecdsa384</summary>
    public const string Ecdsa384 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAiAAAABNlY2RzYS
        1zaGEyLW5pc3RwMzg0AAAACG5pc3RwMzg0AAAAYQQbanbCrYSGZilZXpjYUnYehIxY+FDt
        eHKQcw5u8XsbzWAxiEi/9XdZP0Um3b4sSgJROZD1llIHdEahGT9GuOFhEncZojTtIr9W4G
        KwEjek75/lfW5zlN8MsxNds2M/UrUAAADYElEcEBJRHBAAAAATZWNkc2Etc2hhMi1uaXN0
        cDM4NAAAAAhuaXN0cDM4NAAAAGEEG2p2wq2EhmYpWV6Y2FJ2HoSMWPhQ7XhykHMObvF7G8
        1gMYhIv/V3WT9FJt2+LEoCUTmQ9ZZSB3RGoRk/RrjhYRJ3GaI07SK/VuBisBI3pO+f5X1u
        c5TfDLMTXbNjP1K1AAAAMCNIlKjiTE9P6nHnU2IGVx3ldwJA9oAqYG9tXj5xtg7CXSPEym
        s2cZDtMQpOJ3eLkwAAAA10ZXN0LWVjZHNhMzg0AQID
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ecdsa384Fingerprint = "SHA256:kSuK1CGR8/Mb2CQI/wwG3voTf3/w67qU+sqv6Waedgo";

    /// <summary>ssh-keygen -t ecdsa -b 521 -N &quot;&quot; -C test-ecdsa521</summary>
    public const string Ecdsa521 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAArAAAABNlY2RzYS
        1zaGEyLW5pc3RwNTIxAAAACG5pc3RwNTIxAAAAhQQAlul9iR4dFx3CkN5tfkZ0jtXo711q
        pDw8wZ/FyxKkchP54fX33+5HYn8CyVi4hhEZooWsa0EWh6PcuNXsk5NnBNYBXDrnfKCgu3
        KAdZP5eIlf9QFoEbNe+az3Ixc7A19azTBrTSvLUsS5lS7CX1uL5nrH4PYX2Jp7+zoHXjBJ
        H9XiAiAAAAEQVsqxzFbKscwAAAATZWNkc2Etc2hhMi1uaXN0cDUyMQAAAAhuaXN0cDUyMQ
        AAAIUEAJbpfYkeHRcdwpDebX5GdI7V6O9daqQ8PMGfxcsSpHIT+eH199/uR2J/AslYuIYR
        GaKFrGtBFoej3LjV7JOTZwTWAVw653ygoLtygHWT+XiJX/UBaBGzXvms9yMXOwNfWs0wa0
        0ry1LEuZUuwl9bi+Z6x+D2F9iae/s6B14wSR/V4gIgAAAAQgDvzL1GlXq51I0GCdouO+mO
        0gsjMw/xBvSX0rIcaaLP9ZeurFfXy6inLZykm4CAnah3w8KoGIyySoEx8EveUMLVswAAAA
        10ZXN0LWVjZHNhNTIxAQIDBAU=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ecdsa521Fingerprint = "SHA256:99rK2YZHnrqoBlwf0MmCg9lpThMSEDCIEPJWUI+nYJw";

    /// <summary>ssh-keygen -t rsa -b 2048 -m PEM -N &quot;&quot;</summary>
    public const string RsaPem = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEowIBAAKCAQEAspgZS3wd3fD5JnFybijV3OW0nGW8n5shvcfiRIqq4qGYMY9q
        OD/UimRN8kgylG9tHd3NW3I3KwCGw5quYzc6sN+au4JrfTJwziwyWQmzsNrJRfnF
        91ZFmAi6+NJAvRZsvoI7UnfCXWLRoQdJv8OWZdDsSFuPCCZttwRkHTPsHj+lnTND
        xt/OTblw9sxVE7ILGOJYN6nhKYG19hTYMEWleSG23qbrcQK6As8wsl23ct5EcYOr
        1tFzBVSQlo+6msnJtdfcp1Uhv21cPid0/AZnT34Qd/OswOwe3tT6rdubakAt4V+C
        wS4S7PfmkDQypQ8bgXAQ7UQs8+iG6gOWA1WqXwIDAQABAoIBABcqfZV6CxG/8UGY
        U6SQbXVS4oOq+rWlVNIePG5xokr1dR1wofGb7gDpk+bKkK0KaxgFrl6fSSKt1c1H
        ojlCb72Ds7mA6Fp8EX/c4ccE6CcXqiYGiTRVH3/iGgaulzEv2Hk5wWIoILEmYVTG
        8j0KrNaWLCASqFIBUhf8XNQg6Q7fMQ8U1xVwyMPVJgIp+/eGyAEo5DqVz3Fr2H6B
        Y41+2f9ySK/1mt4ggOvAfuVQbDEpjxCe6NhrrQ8981KPl+GAtzBqE9eX4joddTN6
        GrlCIi6ZGfNiz3NONQY7hvpxNLuFDRZ0nasIyZHARRAQeqwhpQiNMEej7xQZRKKO
        vsKqJ2ECgYEA5Ij0EttZUkxhWnfGmLscxsby41gEcJ6HUnpkUWrfRYcX6BVOjIbV
        MyUK6S7S1qXhAba1P31t+Anirm1DsqF23QyUXCwa5EsLga+NoL/GVJavsOZSQLrm
        Bhli+6Qmxrr79O1D9SL62b3y1iG4vUD5vtlpZ6cIgZcBzp6wRLFvsJECgYEAyA6t
        w95PKJnIx5Z7RGLcDJSkKNnsYzm4tli7CNZfQMS1RgA8AivgKYjz7jN9V3Z6nmv3
        6AxH4aTGsqft6UjlxSXHCFYDxOC2UHSp1/0a9ZRcCyyqR8rzQ/jF8rEqVK2GwaBP
        GtVisfSDTuDPJ1EaHXDhYpJTMmx1ta33wt4sI+8CgYB4zA8/HGRlROw8lo0J0/WM
        +EIQe0i1goYCyaDXDEeCB7tSOFjxnJ96zjyrLs3RGZMKhdnd+l2zOv5vtl+PPxuG
        Eg0lf0ajnysw3GtfKZ8avR+WwNd/UYsedDLG0miQqOte9j7yhw/TIj0GhIKSvpKE
        F4VIfZjYbspMvcJsPOHNkQKBgQC4Eil3qriS1sySN7c7eOqW+L0CiWCi+50kygdt
        XjFOWq+ftN+B7/TUwpoOdXnCW9T+psD21TXeO8pG35RbrSMcfmHfHaViJJAa/vy3
        Kr7/bn4yGeqjG+0wgVlAsBoOx4rR5TpjqiqhKiUXEmoH9utcY1w9Yf0CzCCSBXuN
        5PYgKQKBgGDvQQR5LZxmjJsVsX7y0tnhPV0KYSlhD3/hU+7o+3Gm8ZsKaxvrZ+GE
        8eUXbtGR7n6j+GU8Ssw4Pi+f9KzsNfEksMTe0UTUDJ8MbVPeYL8FxBM7l/pygOOq
        r79CUQH4PoyXSh1HhGFMSaA01XY9ztoMscFdgPrItturcmTi1RAC
        -----END RSA PRIVATE KEY-----
        """;

    public const string RsaPemFingerprint = "SHA256:tWMhDvl1+7nAii8cb0R6BtpqC5gZBobsF7XfvdUNwPk";

    /// <summary>ssh-keygen -t rsa -b 2048 -m PEM -N &quot;correct horse&quot; (legacy Proc-Type/DEK-Info AES-128-CBC)</summary>
    public const string RsaPemEncrypted = """
        -----BEGIN RSA PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-128-CBC,1406F9C2C84A129459E68307568C6E6E

        noYbZAey4hkBQRgU/z3SigMbMgqL0ZzWh7BvZIBMhLadXbPOl0NZ9sByPbYVNod9
        9iR1m/dX0QGZ4KWR39NJocERP39FnMX8fyXCiLn2SdtXLclEQ5EEbK84rGAYWM6Z
        z1FGtdTVvBqICV86d0IBmFk6/3zu5AViDJhiPLxlU+EUICT25S5MZUIwbT7KAfXp
        LDr52tR9Hm7F4/knWeVRC4QDneeruB5qZmoe0rvTax+cojBJzUn3QIHRg0MQRoJu
        AvrpWh7P033dWV3IgpiYnopvtAwiDQL2CrqKT+EAptEhmN8gTSiSXwrWoMLIXE0b
        WMmr4MRd6v+R1wlobNUXDUE41f9t92ftLphXt7LEIP8EoFDZpi8168JiWj+y8lai
        jW77z62vbVaovREU8stpwQtwCdCF9lTGtK+oUXLW/7qnVM4c4rf3+OLUkjpS0ICh
        BX20ri+x5sxADf0h5YSDH4PDZxs3kl0YzmcUt9z0bol2hs/HDEBOGSpVbmjTgbz7
        XoAFM4EzTqZgGD9abw9HupOaA83LR0hS8kAHrLLfgvWYFS1xQLlfATsvCtTzyyeO
        I96fFDMpSVC5UyB1PHTTSMv3ZEa7PpTXlyK6kjo9TQmZD3QTALTkTo5U03HNTc2N
        m9weOjOKncCt7F98U1ljWeFn0Pxh9etkUS/Jf/hhvJ5pts8MthuIbDsBMO8OL5tu
        q3NyacmE21XrWHxiFI/FzyKuDI2975fUvT7lpR9J9kGyt8mcS3ixoaXHHSj+hZiO
        kNG0+9xUe46Q8QWZxwrOyQOn15cBMbIcyohQpt7CUtv29zegoNwvfGzxzhVlwPCF
        476jfRouY0N/QU6ZyvLsaSPh24d4hnRUZFV90s2xPCS17CYr0ZFh0W6v0/QbNNsg
        yfyGHh8c5iDxRhTwAHr/Q/ayCVIEspcuR+1sZTGhQMzc2Xv4oXpvkWFjs7Ec07vT
        1o8lBGpNcpvWB4zvcJljwxWQtQ+vkYZXxEZ3+dKeUXx1BFkLtDrRcaT33qbF6AHy
        JcNBgYdsaNdOZH6Smi08e9LWfA5FqIkLJXaMTgy9bw0iI6FgtS8z+n2C15SEyFdj
        thMc3wjxoUTt7Xm0OTkMUoMMlZwELmq1wBhT4Qq4UYIThhb9kDSgKaZ2ZziPg4Qi
        qYJ5udmWak16Cs5KQHKjLuqXnQvQgENqxqkaV7F/Dp8zLBc7/EnkWYP8pQmZHeAu
        qzg698QJiDlsR5QY7q5e/qgSkGBZQSAQN/F25ErSeN2SFJd51x5bdv9kvF5Q9ppN
        6nbHheyTzJyq+qqXRuA8iPTGNRCxxazEq097sOgiaJuAekqdiGG9rWAco4Orbuqc
        13wNR+gfypL2j4J142iNjXnl6HQLWPFQhjOMBFtyzBT5KIuXUXmoWzzjbUiDTBYT
        oSnw6qhTljOu6wUqZk09DFi+LEbNosNPJZqWG3Sho8cK6D0CEYL0mwIihSAL9P+4
        He0Pasew7ixoHoHqwAqdK5xylYqQNkz2lm6O7hOTgxLnbPrEBNDBnVqNyXokzGCo
        Fa4O9DB/UgediIL2uMWfsPsdmJEEbHNVmECWunVJL4i5vHHUKxRm7hTbkB1J8d7L
        -----END RSA PRIVATE KEY-----
        """;

    public const string RsaPemEncryptedFingerprint = "SHA256:JLQBgFUMw70Tndmv42U1zg7ah/Dz/uT0brCNsp4w6RE";

    /// <summary>ssh-keygen -t rsa -b 2048 -m PKCS8 -N &quot;&quot;</summary>
    public const string RsaPkcs8 = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC45VWitSuuqOpU
        g7fIKjZyTmGrVwJsaN58JhcDd3n9P4JRU1dU4ehfkf4oGPu47NhLGxnnsWxukMN/
        ndVyzqeWoXpfY12gpetIK8dtmcVCwKdKqFuPjaRisDugAlO0bPqshxDZlvApldD5
        cDNWeRSCJfjEC7b+aNQmMa5BMbrxvbU0S7mDTvidQvWMz/FwxKYLI6YCiFt5o967
        IJTF/1PzWvZdpTP4PsTMpJoPnaYyQwgImT3esZUvbEIc135B4YRNpD2X9u+EkTId
        cqIXOhpKAxv0CHp51NTU/7q5WlAmuJ1ioE8JhdMROpXrAb4kKrLgReZTnkPrCmuf
        /vPJ9OMrAgMBAAECggEAAtNSWzGskLc5GYCHyvHGMjn7aRxjx5dUqw4D9QQa46FY
        UvjUkVIAdJFtElzLX/iSl5c67pz5/LiOnEEjtWTuD7G5BoMkt6NBdLFik0yxxILg
        K5ZmC8wM0otB5gCTGeM+c2t++OxDEEefUWiDCFPCWfjNk+Vf7wRYFZtVv95MLoyC
        bfDXf4yOXzadu7d0WPTGOEsN5pQImbbypXiq25sY94p2PKS/IhflElcIo9aMNQ0Q
        ohyTIQGNm/eHf627vnAI2OQ8y+C0lrL26Sb0sBCo1pwfMjTZaEomnhcQBBFo8ZP5
        zMRMz2G85trVtXXIHoD3YpBIIleo6nrHNtNOhqcLJQKBgQDvPhTpfF4+AMBeBnwa
        GSjoFoxtJaAj7tiHhWli938MGTmJAXXJtXgx4ucMjshsb0VJFK3FgDu+WPUfd15r
        Di10Wp+h5miNzKd4EMVRW0e8GcVls7X3d6Kgdf6h1xENwLWAAOhtbAcNzh+ycxYr
        A6VFQHnCxlUhx49yIMkXQtKCHwKBgQDF2L+1+2x3suEvBTFxwenqalwgCMMbXGM2
        Yj2Qkg8m15e05+JGpKtvtKxNwnp4XM2D3DjcS17N4tPOHKijtZz75vt8WeEVDs8d
        U6UMeqz+IrQcq2n/135GM+MJAJh/Xbmn/d/dm09otInPU8C9Gl1TKQVYsDrhbpT/
        ejh0oVE1dQKBgFEyreBM8KN0l9WRt98XuPWEaabFxWNMtjrQweLwAzO0//0K/NI4
        ABJWY3q0nzuGTGqwVQYaLqy8/nzug6IsDqtV8qX9UHEIC7LJZl7lbyRdTszkwJa8
        CPsS8Rg2qTgUtsU6CajRqFc8JS/otZZlx1sItgqwS8aKN5pRnE6DxHSbAoGAeD52
        rczkLI+8So6WcXQQjdccrJ+GrR9mcQweLLqImOvZGSsBnDvCsf6V5iC3vGVyxpxW
        tpTcRreAUTmbyPu9MGA/ImGh6eF5QXKv0jjQ4RgIbZBEuSioZ1RrvPHuvSIijxY+
        M/qLtbBcPXTCpGvcoolA5ZkeABrsVaVboI7Ww20CgYEA2+zQ96M1D6qsfiT6NecT
        lgNz17BJq16VBwYcGzoMqgi8h67ZfJ1cKmJb6Lc1kI2E0fs1uoXBWyUCYm/d9PHN
        cWCQnq1+4IBY/JCNM7O59eNSeIeXKf+B8YgDB/tEYUv14nFFZkx/99ZZiVQDan4q
        3kuIGcbRp0UX0RBmm2/cQY0=
        -----END PRIVATE KEY-----
        """;

    public const string RsaPkcs8Fingerprint = "SHA256:YwotHfkyxvzC9HlAbT/eOmCgoSrRc/zAoxJrs7ddrHE";

    /// <summary>ssh-keygen -t ecdsa -b 256 -m PEM -N &quot;&quot;</summary>
    public const string EcPem = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEICBF55u5NFaJoufE3XQ6/JLC2Ac4YG1Qc509n4yiibf+oAoGCCqGSM49
        AwEHoUQDQgAEkTh02u5GeD9nP/TV3NTlNp/CBBfQ9kDV4H6OTxcG7WAvspA5ERkt
        ss8/P1KPUvZNu1NfZdyX0WbhdOMgzUYrwQ==
        -----END EC PRIVATE KEY-----
        """;

    public const string EcPemFingerprint = "SHA256:dvZGE+1JxjJiSr1UPOt2PIRN9XgyMLK2zSxf36M1P7w";

    /// <summary>openssl ec -aes256 -passout &quot;pass:correct horse&quot; of EcPem (same key, legacy AES-256-CBC)</summary>
    public const string EcPemEncrypted = """
        -----BEGIN EC PRIVATE KEY-----
        Proc-Type: 4,ENCRYPTED
        DEK-Info: AES-256-CBC,3A68622935F81DED08AF1C2DA3B71579

        fY+JFzkZqyucQGwse871GvLFmv1zBVaxz4/7OsGMBn8uoQ4H7f1rVlLmTqr4vCqi
        8HvLf+pyOM5yyTMjLaPWr2AiU6z4o4fejif4tYFIP3rGSlQLP8s+uFlkLxO8a9Kv
        bcrqAqZ5W1yWnFvx3q9ubsXIgfDdKrG3je9irltPryE=
        -----END EC PRIVATE KEY-----
        """;

    /// <summary>ssh-keygen -t ecdsa -b 256 -m PKCS8 -N &quot;correct horse&quot; (PBES2)</summary>
    public const string EcPkcs8Encrypted = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhrycaAyXC4UgICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEBMbSZCNrxtqosWK6s/vmgkEgZDo
        ofc/zkSyfRpRwknL1vWWDXrcnyttXHqQz8h0MN2OZEPo1KIN5ogq2Mkuifn7PwiE
        LrZ34QF4v9ir4L2d6oWV9MveCOxH4pGH1PBLuMc+kQRbEL/ZrgSTI4WrVZUp/Yvi
        3PWqz8yiaGvh1CHKwvy1d4JKa0QYNs4AMS5d2FzMYfYNtZIUhp1/tlX2u3Q4V7M=
        -----END ENCRYPTED PRIVATE KEY-----
        """;

    public const string EcPkcs8EncryptedFingerprint = "SHA256:hqKPIqZDAsmmv2ecjs9zE82IbmRuVmGL8GxPcH6ykFA";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes128-ctr -N &quot;correct horse&quot; -C cipher-aes128-ctr</summary>
    public const string Ed25519CipherAes128Ctr = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczEyOC1jdHIAAAAGYmNyeXB0AAAAGAAAABCnc5KVrU
        5gGo5FPHouV5vrAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAILxGVU2x2ENVFvYu
        VCQ2vFl49VNszOOY8ebBWvrxmkB+AAAAoK5mTEI1xL1uAKxCBkQreci+JFbV/QmzOI5f6z
        VKtO0mzs2kY69QHRLVq4u5DGuKtVcDPDxNInf99y/lZfDjGd87pp/K8DoV5w6prjZu1v+s
        a8UNZHaYFzuU0laXmjh5z+GTa+GZC8oWFARLOo/gVtlucLiLT+itb1lStaeGVFCp0K6vIq
        7DhocXXd/K8ad61SBjWxofHk0W3Xi3dvBNaMs=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes128CtrFingerprint = "SHA256:FRPaFJvSAEMyKJeZH4SxcxhJ3IDg2EBLMI/6/SKVf8s";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes192-ctr -N &quot;correct horse&quot; -C cipher-aes192-ctr</summary>
    public const string Ed25519CipherAes192Ctr = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczE5Mi1jdHIAAAAGYmNyeXB0AAAAGAAAABAUms9z2R
        w/e47C7r7id54qAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIEFMV3SmZcPNjcLh
        T9MlXGLUMkkDmZkMfL94gL6yUmmtAAAAoIPYunA0+E1ohNXbWdZ8oTMtLB4J9eJB5CDu8K
        F54ev0PutGRCuuGdOQzjTOgQQaellRDZ0l6RypCMaZ0WHWNap21kG6peYGUTRmkbva+Quy
        UQRtmimGA5u1+9VIu7mciY0gQpFEzg856M9VNBQURhFi4qf619xurMnRc+moNmR9dgZlwX
        k0PaSy+q+zpWNhUVuVW+NrBfAEAs1JXLcYc/A=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes192CtrFingerprint = "SHA256:A7A2Nrdie/YWulYBiZhgxgQW2xjWkoLFldDr6wEqvWY";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes128-cbc -N &quot;correct horse&quot; -C cipher-aes128-cbc</summary>
    public const string Ed25519CipherAes128Cbc = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczEyOC1jYmMAAAAGYmNyeXB0AAAAGAAAABACrDDy0x
        XuORqzZlhMu3nqAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIOjj624W/I+mTkLX
        joe1BsENM5sE25UEpDxZ+hcH0UsCAAAAoHQhTRbNE5slI5n9PfzsXuiZs9qfjwgIu8NVzS
        3YJqloxSx0807ZUFPP7/NWI4xKsK+DizfEiAMMigsfyQCSx4f4zAun8lKuYYnGj6I3bOT/
        aqE24T6QWa0v40WMEON86KlmHwactHoHCL9iJp9ZMuzj+naGxF03jTINacT52FEaK6H2sd
        P6hfixwvrisoIOEzVZGe3WqedX36i/GDuS2+o=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes128CbcFingerprint = "SHA256:cCxjvjwblMmY2bL37f7ALxSA9c4EroTVUepEiT8FEuc";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes192-cbc -N &quot;correct horse&quot; -C cipher-aes192-cbc</summary>
    public const string Ed25519CipherAes192Cbc = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczE5Mi1jYmMAAAAGYmNyeXB0AAAAGAAAABADU2vBtG
        uV61u2iqLKubFCAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIGy02hzNL8uItDvt
        HNU4DRqbdWt6Ay04a1EZDNOYXt1PAAAAoC1dph+3ADu7o/qPUs+kop3O8A1XeT9DY0CVpi
        fPcRnDxP5xtWLgTFbZr1F+Mo8w0VYXSUSL5cgGb5L8/VJtbKhjVKqKaLNUpTC+WRT9IQiP
        Xmz0AXqv5BTUl/jwAAkmdSPD70k08YytXz0Pztl665CyXlkUxUbGHjg0boDH+YdHJ47f1Q
        5zJj27mRBeHvVCXuaT0l2TEbQe3es7JuPs8Yc=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes192CbcFingerprint = "SHA256:WYohcZlsYDfRy1QVb3nbotSmkyZNoy3TEounrOYfZ1o";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes256-cbc -N &quot;correct horse&quot; -C cipher-aes256-cbc</summary>
    public const string Ed25519CipherAes256Cbc = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jYmMAAAAGYmNyeXB0AAAAGAAAABB2YfsWe3
        J/ylOSSC6oPrJtAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAICtqccAesKs0ltvQ
        ALVP3euJJxfhwZB3mgtUQFSPsZzNAAAAoAgVVVfmUbOdVqT6Rxe5IyGAf15uDYg2STtFKX
        FuE45MVvA9y/5UiEMaGbgqfEijahok3/LNbaWcT0r6tyR8O0gEKz/XIUWoY7rzIrjeaRhd
        p0jRdA0Icwi+stpFgyRFKMQyAHV8crRlTNUp0V6OtGYV5DygH5rXXQDukyjKCRQxFrzjV7
        gBzP3rwpaXPU1Ny45gFV1xsYaiajjY5ITXaEY=
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes256CbcFingerprint = "SHA256:rEugYMORxAL0yDKtdW0MCE7G7sHYsh+9JtMvJIMQ+OI";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z aes256-gcm@openssh.com -N &quot;correct horse&quot; -C cipher-aes256-gcm@openssh.com</summary>
    public const string Ed25519CipherAes256Gcm = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAAFmFlczI1Ni1nY21Ab3BlbnNzaC5jb20AAAAGYmNyeXB0AA
        AAGAAAABBAJayFE6cfZiiAwefe4K/BAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAA
        IMr1yqZ1vLhwGmRmqSqR5cIsZKmPjfjbG1tcaU602iJvAAAAoOWtGYP2CFGat+C8VoA8Ib
        6QKCkbd8fQQPrkI1sMikzrW0ngV0kCc2+sFwpeJY4XUdGG/SceLfGE0A2Tdiv/oMSEeveo
        VFEUylJ44ufJ7vI4igJS1s8W9hcDz8oQikty14iooRGJuWN56QsZBeC2pYyJDBVq6n+u3U
        A85Oiz5kLK0QC5cQ1vkprHygbtjslxovVI8TKlwiOKppc4+tLVlShtXW0WNax6dF9+Ef83
        eP6V
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherAes256GcmFingerprint = "SHA256:z1Td/UI8nWsYOFwEjtBH1sqO9eX+Xx8tSyjQ5Hc1gvc";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z chacha20-poly1305@openssh.com -N &quot;correct horse&quot; -C cipher-chacha20-poly1305@openssh.com</summary>
    public const string Ed25519CipherChacha20Poly1305 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAAHWNoYWNoYTIwLXBvbHkxMzA1QG9wZW5zc2guY29tAAAABm
        JjcnlwdAAAABgAAAAQB8g2HpmsVNof8K2O0tsQiwAAABAAAAABAAAAMwAAAAtzc2gtZWQy
        NTUxOQAAACDetKjxqHBpFj1YRzT5TNC1UzwWA9iccAmgTjKZDHHG8wAAAKjKpz8ddu5u8J
        joO4Kqoo5b/onTpzwuXxXSbGKQxh9616+t5lCgDhJGXxIvUyuHQqCCNu6k0jiuWfr1a+HI
        QdZUcn9XOZO9+Xfzma+oIG0tVrJfcuWATFeDErMblsZVFwdoYn0rwDJKtab2o3JaAtclsM
        ZFdbdgTPWmlmgYt/3bI6rvyzyPc2Jg0VkY9JFP9Q8GUVCjX6JlFYZ9lNRT6hO3UkUOJo5Y
        4Kq027PArp5AQPdIvGqZ1QN5
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519CipherChacha20Poly1305Fingerprint = "SHA256:bKnrRFcrHf6KrloyghQELcROUzF78sDWkWbfYnoo4jo";

    /// <summary>ssh-keygen -t ed25519 -a 16 -Z 3des-cbc -N &quot;correct horse&quot; -C cipher-3des-cbc</summary>
    public const string Ed25519Cipher3desCbc = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACDNkZXMtY2JjAAAABmJjcnlwdAAAABgAAAAQhUY/zuFyp9
        FR+5r7RD8Z6QAAABAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACB4izNOzd+dq5yKfYQD
        TZMUoRpKUtPhUGRC4jMLPyL8ZwAAAJj47q0QrvtoJHUKkJ0MhO4h2FKZOZTFNt4tSlZVcy
        92IWpw+nEzjhwbhiuudDi3AK8d7bqtf+VnHQ0uUWe8xuj+ailfGyrXmEAkkCXpIsHHmGU9
        zhvHcehRNSvF8faIOzrbI5cHv70zJgA/6EbtdVbSOLDCiJGAS7kDTHoQbQ40HbNo6wwltw
        T55MZ2YjOY1+2xIplm6OiaBg==
        -----END OPENSSH PRIVATE KEY-----
        """;

    public const string Ed25519Cipher3desCbcFingerprint = "SHA256:Yw18yM6+XcIX7xvFHYByy0fXMgey1lIae/NX9Wua+Rs";

    /// <summary>ssh-keygen -t dsa -N &quot;&quot; (unsupported key type)</summary>
    public const string Dsa = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABsQAAAAdzc2gtZH
        NzAAAAgQCQRf+qP1R/lIhn9iOGbYIM4OpypjaOiwWgzOE8g0EbZ7gtX/iVDtGmN19xvT5e
        ldxKe8NbRYINypQgjcHURlE0EDtv/7dQdVlu/3sBlQzsdrfFIU/leGFTBAcVjwXbYn9gkN
        RF0kVSRclrKFTaVVMUXNMZG0V3Rz5AMVe3jUVUUQAAABUA4MLeJZWRXKteayj5xeXQS4Br
        3F0AAACAflEKHDk5ckPlrTXdV5VhA65qBiZXP+IHyOQIrYV4y0awrqK677kqq76D1SsV4j
        YK1UlZGWA3CpWS6au60SIgirkhWXTCxp+CajIgh55q0gw04RDXy0CsRWWvUIA4wMaoLGid
        eMSQ8Org1sAnvnU7DLgqSULWTYrazUc8YEsRLH4AAACAGVQpdiUlZDHk/W/QOfF/xf7HVy
        BdF5xPpBH3KHCOKkLtLGO0UP9QS2vU4NHK895HpqiGnUtnF6wCWQ4ExUfFrZ8xDigHIq6d
        HTlRkbEKvRhVqyf0JUyXGh1I573xU6WkFM4E0ecCKbjikaMz/A2MHno87MsoIFxTbabc88
        e4XGoAAAHglD0iiZQ9IokAAAAHc3NoLWRzcwAAAIEAkEX/qj9Uf5SIZ/Yjhm2CDODqcqY2
        josFoMzhPINBG2e4LV/4lQ7Rpjdfcb0+XpXcSnvDW0WCDcqUII3B1EZRNBA7b/+3UHVZbv
        97AZUM7Ha3xSFP5XhhUwQHFY8F22J/YJDURdJFUkXJayhU2lVTFFzTGRtFd0c+QDFXt41F
        VFEAAAAVAODC3iWVkVyrXmso+cXl0EuAa9xdAAAAgH5RChw5OXJD5a013VeVYQOuagYmVz
        /iB8jkCK2FeMtGsK6iuu+5Kqu+g9UrFeI2CtVJWRlgNwqVkumrutEiIIq5IVl0wsafgmoy
        IIeeatIMNOEQ18tArEVlr1CAOMDGqCxonXjEkPDq4NbAJ751Owy4KklC1k2K2s1HPGBLES
        x+AAAAgBlUKXYlJWQx5P1v0Dnxf8X+x1cgXRecT6QR9yhwjipC7SxjtFD/UEtr1ODRyvPe
        R6aohp1LZxesAlkOBMVHxa2fMQ4oByKunR05UZGxCr0YVasn9CVMlxodSOe98VOlpBTOBN
        HnAim44pGjM/wNjB56POzLKCBcU22m3PPHuFxqAAAAFQC6MVSuYVsxo+AChpohU6j8jv2i
        YQAAAAdyb290QHZtAQID
        -----END OPENSSH PRIVATE KEY-----
        """;

    /// <summary>openssl genpkey -algorithm ed25519 (PKCS#8; OpenSSH 9.2 cannot read it, the fingerprint was computed from openssl pkey -pubout)</summary>
    public const string Ed25519Pkcs8 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIObbfpvPaF+4pFnoqbsGLZO5TOhJJqMgaq9rPRuyIKJ3
        -----END PRIVATE KEY-----
        """;

    public const string Ed25519Pkcs8Fingerprint = "SHA256:b4RCU7XRhZqWHmnmiiHlLZ2ZnG2kiVafmIYN0AEn7gI";

    /// <summary>openssl ecparam -name secp256k1 -genkey -noout (curve OpenSSH does not support)</summary>
    public const string Secp256k1Pem = """
        -----BEGIN EC PRIVATE KEY-----
        MHQCAQEEIC/4JqZRz/J3sfjDwgCKxHU9Iset5/b01OhbsM9LyPg1oAcGBSuBBAAK
        oUQDQgAEUuakMta41w7v5KjbKiyoK6n6lI/2KPZ0A3WtAcqJ3SzHPfU0tgbooUxD
        NFde8XAOwg+o4/CO0j6wNVBEa/smjw==
        -----END EC PRIVATE KEY-----
        """;

    /// <summary>ssh-keygen -e of Ed25519Encrypted.pub</summary>
    public const string Rfc4716PublicKey = """
        ---- BEGIN SSH2 PUBLIC KEY ----
        Comment: "256-bit ED25519, converted by root@vm from OpenSSH"
        AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27
        ---- END SSH2 PUBLIC KEY ----
        """;

    /// <summary>openssl pkey -pubout of Ed25519Pkcs8</summary>
    public const string PemPublicKey = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAkUPklxYsJEocb3RzC5RCjlFacttB/u7YWiTp9a7uVp8=
        -----END PUBLIC KEY-----
        """;

    /// <summary>openssl rsa -RSAPublicKey_out of RsaPem</summary>
    public const string PemRsaPublicKey = """
        -----BEGIN RSA PUBLIC KEY-----
        MIIBCgKCAQEAspgZS3wd3fD5JnFybijV3OW0nGW8n5shvcfiRIqq4qGYMY9qOD/U
        imRN8kgylG9tHd3NW3I3KwCGw5quYzc6sN+au4JrfTJwziwyWQmzsNrJRfnF91ZF
        mAi6+NJAvRZsvoI7UnfCXWLRoQdJv8OWZdDsSFuPCCZttwRkHTPsHj+lnTNDxt/O
        Tblw9sxVE7ILGOJYN6nhKYG19hTYMEWleSG23qbrcQK6As8wsl23ct5EcYOr1tFz
        BVSQlo+6msnJtdfcp1Uhv21cPid0/AZnT34Qd/OswOwe3tT6rdubakAt4V+CwS4S
        7PfmkDQypQ8bgXAQ7UQs8+iG6gOWA1WqXwIDAQAB
        -----END RSA PUBLIC KEY-----
        """;

}
