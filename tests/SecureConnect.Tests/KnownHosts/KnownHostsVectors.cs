using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace SecureConnect.Tests.KnownHosts;

// Host keys made for these tests with OpenSSH_9.2p1 "ssh-keygen -t ed25519|ecdsa -b 256|rsa -b 2048 -N '' -C ''";
// fingerprints are what "ssh-keygen -l -E sha256 -f" printed. The hashed host fields were produced by
// "ssh-keygen -H -f" on a file holding "hashed.example.com <A>" and "[hashed.example.com]:2222 <B>".

/// <summary>Public host keys and hashed known_hosts fields made by the real ssh-keygen.</summary>
internal static class KnownHostsVectors
{
    public const string Ed25519A = "AAAAC3NzaC1lZDI1NTE5AAAAIAIJAtLi8fYBZtSzD0NzXzqQrEBzHkImq98NiHVRoPky";
    public const string Ed25519AFingerprint = "SHA256:D3fKQ4Tg6PgxbRVgmPUGLjM06/s96pg0+B0lAt8LofA";

    public const string Ed25519B = "AAAAC3NzaC1lZDI1NTE5AAAAIAq0dVIJR8Y+LXYRcWar96L3Cqcx9sgljlR5dES+HRpw";
    public const string Ed25519BFingerprint = "SHA256:R5kp3agKL1hyW3ZSAgOBmT0Y/bg0x2Q3x6AIXDar/Jc";

    public const string Ecdsa256 = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOSYMi5TW7HPL/UI2M2gjThezntrt4AEuug/dM2IYnhrMImXQBpMzwSiv4YqHk9dJcnq5qAF1p003ScrCVnxG/Q=";
    public const string Ecdsa256Fingerprint = "SHA256:DfLYyLVpqRSeUN0vTFLVAQnsrz1lP4uNkDrLdslsJbE";

    public const string Rsa2048 = "AAAAB3NzaC1yc2EAAAADAQABAAABAQCzi1LQxSWCqSBJ5QwIeHEGKICDLK2rxc42pxBOUTDbVTs7Iz5qYSKN6t7ek3d4CjW0LyGMqYsM+AYxBHl7+N6fQC6TeOWdHGfhJB21DHHkF39FXDCi6CfuXtBo6hTktdIAhaySd5Nqk1EytU9xKNRkX0kG7epHKK522RmKqdt28cZDTy7SWUQESvhSa4NW8coVEUFCbxqmihFWnxAwEVcRNbjOTiY5xJYEMRPuNXIbUZkqX8G41CNi50Bcb7by0vZMd3CCSR9u0qi+Anz+72Dnpp0RjyVVYkwtEJkilLJLGwHfVFeH4Gp4JAP5aIcnyxjtsNsS0ogfFL1vAbhKu3zn";
    public const string Rsa2048Fingerprint = "SHA256:cme/fFSrNBo6QNjnAZyjVsyd4n50IUcoRUz8xNaadCM";

    /// <summary>"hashed.example.com" (port 22), key A.</summary>
    public const string HashedPort22 = "|1|lpkGv0AGKoZx1i8r2k/XHgCmmU4=|C4AITLFgvSW7FZqB6NMDy0IuQkE=";

    /// <summary>"[hashed.example.com]:2222", key B.</summary>
    public const string HashedPort2222 = "|1|9/mJgOFdw4l4QcdMenyRQoKmfOY=|zF3X42vMUJvGxBZU+WH6+OhnyS8=";

    public static byte[] Blob(string base64) => Convert.FromBase64String(base64);
}

/// <summary>Runs the real ssh-keygen.</summary>
internal static class SshKeygen
{
    private static readonly Lazy<string?> s_path = new(FindOnPath);

    public static string? Path => s_path.Value;

    /// <summary>Runs ssh-keygen; returns the exit code and standard output.</summary>
    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path ?? throw new InvalidOperationException("ssh-keygen is not installed."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException("ssh-keygen did not finish: " + error);
        }

        return (process.ExitCode, output);
    }

    private static string? FindOnPath()
    {
        string name = OperatingSystem.IsWindows() ? "ssh-keygen.exe" : "ssh-keygen";
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator))
        {
            if (directory.Length == 0)
            {
                continue;
            }

            string candidate = System.IO.Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that is skipped, with the reason, where ssh-keygen is not installed.</summary>
internal sealed class SshKeygenFactAttribute : FactAttribute
{
    public SshKeygenFactAttribute()
    {
        if (SshKeygen.Path is null)
        {
            Skip = "ssh-keygen is not on PATH; install OpenSSH (openssh-client) to run this interoperability test.";
        }
    }
}
