using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;
using SecureConnect.Ssh;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Commands;

/// <summary>Get-SshServerKey: the host keys an SSH server presents, without logging in.</summary>
[Cmdlet(VerbsCommon.Get, "SshServerKey", HelpUri = HelpUris.Cmdlets + "Get-SshServerKey.md")]
[OutputType(typeof(SshHostKey))]
public sealed class GetSshServerKeyCommand : SecureConnectCmdlet
{
    /// <summary>The server.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Bastion", "Host")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = string.Empty;

    /// <summary>The SSH port.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("BastionPort")]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    /// <summary>Seconds that connecting may take.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int ConnectTimeout { get; set; } = 15;

    /// <summary>
    /// SSH jump hosts to reach the server through, in order (user@host:port); each is logged in to with the workspace
    /// key and its host key must already be trusted. The server itself is only asked for its keys.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? JumpHost { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            using ProgressReporter progress = ProgressReporter.Begin(this, $"Get-SshServerKey {HostName}:{Port}");
            TimeSpan timeout = TimeSpan.FromSeconds(ConnectTimeout);
            List<SshHop>? jumps = JumpHost is { Length: > 0 }
                ? JumpHost.SelectMany(j => j.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(j => JumpHostParser.Parse(j, Environment.UserName)).ToList()
                : null;
            if (jumps is { Count: 0 })
            {
                // Only blanks and commas: reaching the server directly instead would not be what was asked.
                throw new SecureConnectException(ErrorIds.InvalidJumpHost, ErrorKind.InvalidArgument, "-JumpHost names no jump host (only blanks or commas). Use user@host, user@host:port or user@[ipv6-address]:port.", "JumpHost");
            }

            if (jumps is not null)
            {
                WarnAboutKnownHosts();
            }

            IReadOnlyList<SshHostKey> keys = jumps is not null
                ? ServerKeyScanner.ScanThrough(Store, jumps, HostName, Port, timeout, WriteVerbose, CancelToken)
                : ServerKeyScanner.Scan(HostName, Port, timeout, CancelToken);
            if (keys.Count == 0)
            {
                WriteError(new SecureConnectException(ErrorIds.NoHostKey, ErrorKind.InvalidData, $"{HostName}:{Port} presented no host key of a type SecureConnect supports.", $"{HostName}:{Port}"));
            }

            WriteObject(keys, enumerateCollection: true);
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }
}

/// <summary>Add-SshKnownHost: trusts host keys, recording them in the workspace's known_hosts.</summary>
[Cmdlet(VerbsCommon.Add, "SshKnownHost", SupportsShouldProcess = true, DefaultParameterSetName = ByKey, HelpUri = HelpUris.Cmdlets + "Add-SshKnownHost.md")]
[OutputType(typeof(SshKnownHost))]
public sealed class AddSshKnownHostCommand : SecureConnectCmdlet
{
    private const string ByKey = "ByKey";
    private const string ByPath = "ByPath";

    /// <summary>The host the key belongs to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByKey)]
    [Alias("Bastion", "Host")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = string.Empty;

    /// <summary>The SSH port.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = ByKey)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    /// <summary>The public key, "type base64" (a comment may follow).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ByKey)]
    [ValidateNotNullOrEmpty]
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>An OpenSSH known_hosts file to import.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByPath)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Replaces a different key of the same type already trusted for the host.</summary>
    [Parameter(ParameterSetName = ByKey)]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var store = new KnownHostsStore(Store);
        try
        {
            if (ParameterSetName == ByPath)
            {
                ImportFile(store);
                return;
            }

            (string keyType, byte[] blob) = ParsePublicKey(PublicKey);
            string fingerprint = Ssh.Keys.SshFingerprint.Sha256(blob);
            string target = KnownHostsFile.LookupName(HostName, Port);
            if (!ShouldProcess(target, $"Trust the host key {keyType} {fingerprint}"))
            {
                return;
            }

            KnownHostEntry entry = store.Update(file =>
            {
                WarnAboutKnownHosts(file);
                List<KnownHostEntry> sameType = file.Find(HostName, Port).Where(e => e.Marker is null && e.KeyType == keyType).ToList();
                KnownHostEntry? identical = sameType.FirstOrDefault(e => e.KeyBlob.AsSpan().SequenceEqual(blob));
                if (identical is not null)
                {
                    WriteVerbose($"{target} {keyType} {fingerprint} is already trusted (line {identical.LineNumber}).");
                    return identical;
                }

                if (sameType.Count > 0)
                {
                    if (!Force)
                    {
                        throw new SecureConnectException(
                            ErrorIds.KnownHostConflict,
                            ErrorKind.ResourceExists,
                            $"known_hosts already trusts a different {keyType} key for {target} ({string.Join(", ", sameType.Select(e => e.Fingerprint))}); the new one is {fingerprint}. " +
                            "If the host key was really replaced, add -Force to replace the old key (or Remove-SshKnownHost first).",
                            target);
                    }

                    file.Remove(e => sameType.Contains(e));
                    WriteVerbose($"Replaced the previous {keyType} key of {target}.");
                }

                return file.Add(HostName, Port, keyType, blob);
            });
            WriteObject(entry.ToSshKnownHost(HostName, Port, Store.Paths.KnownHostsFile));
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }

    private void ImportFile(KnownHostsStore store)
    {
        string path = ResolveFilePath(Path, ErrorIds.KnownHostsFileNotFound, "known_hosts file");
        if (!File.Exists(path))
        {
            throw new SecureConnectException(ErrorIds.KnownHostsFileNotFound, ErrorKind.ObjectNotFound, $"The known_hosts file '{path}' does not exist.", path);
        }

        KnownHostsFile other = KnownHostsFile.Parse(File.ReadAllText(path), path);
        foreach (KnownHostsParseWarning warning in other.Warnings)
        {
            WriteWarning(warning.Message);
        }

        if (!ShouldProcess(path, $"Import {other.Entries.Count} host key(s) into the workspace's known_hosts"))
        {
            return;
        }

        int before = 0;
        IReadOnlyList<KnownHostEntry> added = store.Update(file =>
        {
            WarnAboutKnownHosts(file);
            before = file.Entries.Count;
            file.Merge(other);
            return file.Entries.Skip(before).ToList();
        });
        WriteVerbose($"Imported {added.Count} new host key(s) from '{path}' ({other.Entries.Count - added.Count} already trusted).");
        foreach (KnownHostEntry entry in added)
        {
            WriteObject(entry.ToSshKnownHost(null, null, Store.Paths.KnownHostsFile));
        }
    }

    private static (string KeyType, byte[] Blob) ParsePublicKey(string text)
    {
        string[] parts = text.Trim().Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 2)
        {
            try
            {
                byte[] blob = Convert.FromBase64String(parts[1]);
                if (KeyBlob.ReadType(blob) == parts[0])
                {
                    return (parts[0], blob);
                }
            }
            catch (FormatException)
            {
            }
        }

        throw new SecureConnectException(
            ErrorIds.InvalidPublicKey,
            ErrorKind.InvalidArgument,
            "The public key must be 'type base64' as in a known_hosts or .pub file (e.g. 'ssh-ed25519 AAAAC3Nz...'); Get-SshServerKey outputs it.",
            text);
    }
}

/// <summary>Get-SshKnownHost: the trusted host keys.</summary>
[Cmdlet(VerbsCommon.Get, "SshKnownHost", HelpUri = HelpUris.Cmdlets + "Get-SshKnownHost.md")]
[OutputType(typeof(SshKnownHost))]
public sealed class GetSshKnownHostCommand : SecureConnectCmdlet
{
    /// <summary>Only the keys for this host (hashed entries included).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Bastion", "Host")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KnownHostNameCompleter))]
    public string? HostName { get; set; }

    /// <summary>The SSH port of that host.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            KnownHostsFile file = new KnownHostsStore(Store).Read();
            WarnAboutKnownHosts(file);
            string path = Store.Paths.KnownHostsFile;
            if (HostName is null)
            {
                foreach (KnownHostEntry entry in file.Entries)
                {
                    (string? host, int? port) = FirstHost(entry);
                    WriteObject(entry.ToSshKnownHost(host, port, path));
                }

                return;
            }

            foreach (KnownHostEntry entry in file.Find(HostName, Port))
            {
                WriteObject(entry.ToSshKnownHost(HostName, Port, path));
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }

    /// <summary>The first plain host name of an entry, with its port ([host]:port), for listing.</summary>
    internal static (string? Host, int? Port) FirstHost(KnownHostEntry entry)
    {
        if (entry.Hashed)
        {
            return (null, null);
        }

        string first = entry.Patterns.FirstOrDefault(p => !p.StartsWith('!')) ?? string.Empty;
        if (first.StartsWith('[') && first.IndexOf("]:", StringComparison.Ordinal) is int close and > 0 &&
            int.TryParse(first[(close + 2)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port))
        {
            return (first[1..close], port);
        }

        return (first, 22);
    }
}

/// <summary>Remove-SshKnownHost: stops trusting a host's keys.</summary>
[Cmdlet(VerbsCommon.Remove, "SshKnownHost", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Remove-SshKnownHost.md")]
[OutputType(typeof(void))]
public sealed class RemoveSshKnownHostCommand : SecureConnectCmdlet
{
    /// <summary>The host.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Bastion", "Host")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KnownHostNameCompleter))]
    public string HostName { get; set; } = string.Empty;

    /// <summary>The SSH port.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = 22;

    /// <summary>Only keys of this type (e.g. ssh-rsa).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Algorithm { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var store = new KnownHostsStore(Store);
        try
        {
            // Inside the try: a host name that is no host name is InvalidHostName, not an exception without an id.
            string target = KnownHostsFile.LookupName(HostName, Port) + (Algorithm is null ? string.Empty : " " + Algorithm);
            KnownHostsFile current = store.Read();
            WarnAboutKnownHosts(current);
            List<KnownHostEntry> matches = current.Find(HostName, Port).Where(Selected).ToList();
            if (matches.Count == 0)
            {
                WriteError(new SecureConnectException(ErrorIds.KnownHostNotFound, ErrorKind.ObjectNotFound, $"known_hosts has no key for {target}. Get-SshKnownHost lists the trusted keys.", target));
                return;
            }

            string fingerprints = string.Join(", ", matches.Select(m => m.Fingerprint));
            if (!ShouldProcess(target, $"Stop trusting {matches.Count} host key(s): {fingerprints}"))
            {
                return;
            }

            int removed = store.Update(file =>
            {
                var lines = new HashSet<KnownHostEntry>(file.Find(HostName, Port).Where(Selected));
                return file.Remove(lines.Contains);
            });
            WriteVerbose($"Removed {removed} host key line(s) for {target}.");
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }

    /// <summary>
    /// Lines that name this host themselves (or hash its name). Never @revoked or @cert-authority lines, and never
    /// a wildcard line that merely matches: removing those would lift a revocation or untrust other hosts.
    /// </summary>
    private bool Selected(KnownHostEntry entry)
    {
        if (entry.Marker is not null)
        {
            return false;
        }

        if (Algorithm is not null && !string.Equals(entry.KeyType, Algorithm, StringComparison.Ordinal))
        {
            return false;
        }

        string lookup = KnownHostsFile.LookupName(HostName, Port);
        return entry.Hashed || entry.Patterns.Any(p => string.Equals(p, lookup, StringComparison.OrdinalIgnoreCase));
    }
}
