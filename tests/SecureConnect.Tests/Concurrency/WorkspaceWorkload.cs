using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Ssh;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;
using static SecureConnect.Tests.KnownHosts.KnownHostsVectors;

namespace SecureConnect.Tests.Concurrency;

/// <summary>What a writer changes in the workspace.</summary>
public enum WorkloadKind
{
    Integrations,
    Egress,
    KnownHosts,

    /// <summary>The three above, interleaved operation by operation.</summary>
    Mixed,

    /// <summary>New-WorkspaceSshKey -Force, over and over.</summary>
    Rotate,
}

/// <summary>
/// One writer's share of a concurrency test: a fixed count of changes under names only this writer uses, so every
/// change must survive, and the exact state they must leave. Run by threads of the test and by a child process
/// (<see cref="ConcurrencyChild"/>) alike, each with a store of its own as separate runbooks would have.
/// </summary>
internal sealed class WorkspaceWorkload
{
    public WorkspaceWorkload(WorkloadKind kind, string root, int writer, int count)
    {
        if (writer is < 0 or > 250)
        {
            throw new ArgumentOutOfRangeException(nameof(writer), "A writer index is one octet of its egress addresses.");
        }

        Kind = kind;
        Root = root;
        Writer = writer;
        Count = count;
    }

    public WorkloadKind Kind { get; }

    public string Root { get; }

    public int Writer { get; }

    public int Count { get; }

    /// <summary>Fingerprints of the keys this writer stored, in order (Rotate only).</summary>
    public List<string> Rotated { get; } = new();

    /// <summary>The host every writer trusts (with the same key): it must end up in known_hosts exactly once.</summary>
    public const string SharedHost = "shared.example";

    private string Prefix => "w" + Writer.ToString(CultureInfo.InvariantCulture);

    private static WorkspaceStore NewStore(string root) => new(new WorkspacePaths(root));

    /// <summary>Every third item is removed again after it was added; every even one is changed after it was added.</summary>
    private static bool Survives(int i) => i % 3 != 2;

    private static bool Changed(int i) => i % 2 == 0;

    public string IntegrationName(int i) => Prefix + "-db-" + i.ToString(CultureInfo.InvariantCulture);

    public string HostName(int i) => Prefix + "-host-" + i.ToString(CultureInfo.InvariantCulture) + ".example";

    public string Cidr(int i) => string.Create(CultureInfo.InvariantCulture, $"10.{Writer}.{i / 250}.{(i % 250) + 1}/32");

    public static int ChangedPort(int i) => 6000 + i;

    /// <summary>Runs every operation, in order.</summary>
    public void Run()
    {
        for (int i = 0; i < Count; i++)
        {
            switch (Kind)
            {
                case WorkloadKind.Integrations:
                    IntegrationStep(i);
                    break;
                case WorkloadKind.Egress:
                    EgressStep(i);
                    break;
                case WorkloadKind.KnownHosts:
                    KnownHostStep(i);
                    break;
                case WorkloadKind.Mixed:
                    IntegrationStep(i);
                    KnownHostStep(i);
                    EgressStep(i);
                    break;
                case WorkloadKind.Rotate:
                    RotateStep(i);
                    break;
            }
        }
    }

    private void IntegrationStep(int i)
    {
        var integrations = new IntegrationStore(NewStore(Root));
        string name = IntegrationName(i);
        integrations.Add(new IntegrationRecord
        {
            Name = name,
            Type = IntegrationType.PostgreSQL,
            HostName = "db" + i.ToString(CultureInfo.InvariantCulture) + "." + Prefix + ".example",
            Port = 5432,
            Database = Prefix,
        });
        if (Changed(i))
        {
            new IntegrationStore(NewStore(Root)).Update(name, r => r.Port = ChangedPort(i));
        }

        if (!Survives(i))
        {
            new IntegrationStore(NewStore(Root)).Remove(name);
        }
    }

    private void EgressStep(int i)
    {
        string cidr = Cidr(i);
        new EgressStore(NewStore(Root)).Add(new[] { IpNet.Parse(cidr) }, Prefix + " address " + i.ToString(CultureInfo.InvariantCulture));
        if (!Survives(i) && !new EgressStore(NewStore(Root)).Remove(cidr))
        {
            throw new InvalidOperationException($"{cidr} was added by this writer but was not there to remove.");
        }
    }

    private void KnownHostStep(int i)
    {
        // Every writer also trusts one shared host, as Add-SshKnownHost does: only when that key is not trusted yet.
        new KnownHostsStore(NewStore(Root)).Update(file =>
            file.Find(SharedHost, 22).Any() ? null : file.Add(SharedHost, 22, "ssh-ed25519", Blob(Ed25519B)));

        string host = HostName(i);
        new KnownHostsStore(NewStore(Root)).Update(file => file.Add(host, 22, "ssh-ed25519", Blob(Ed25519A)));
        if (!Survives(i))
        {
            int removed = new KnownHostsStore(NewStore(Root)).Update(file =>
            {
                var lines = new HashSet<KnownHostEntry>(file.Find(host, 22));
                return file.Remove(lines.Contains);
            });
            if (removed != 1)
            {
                throw new InvalidOperationException($"{host} was added once by this writer but {removed} entries were removed.");
            }
        }
    }

    private void RotateStep(int i)
    {
        WorkspaceSshKey key = new WorkspaceKeyService(NewStore(Root)).Create(
            SshKeyAlgorithm.Ed25519, Prefix + "-key-" + i.ToString(CultureInfo.InvariantCulture), passphrase: null, force: true, verbose: _ => { });
        Rotated.Add(key.Fingerprint);
    }

    /// <summary>The integrations this writer leaves, with the port each must have.</summary>
    public IEnumerable<(string Name, int Port)> ExpectedIntegrations() =>
        Enumerable.Range(0, Count).Where(Survives).Select(i => (IntegrationName(i), Changed(i) ? ChangedPort(i) : 5432));

    public IEnumerable<string> RemovedIntegrations() => Enumerable.Range(0, Count).Where(i => !Survives(i)).Select(IntegrationName);

    public IEnumerable<string> ExpectedCidrs() => Enumerable.Range(0, Count).Where(Survives).Select(Cidr);

    public IEnumerable<string> RemovedCidrs() => Enumerable.Range(0, Count).Where(i => !Survives(i)).Select(Cidr);

    public IEnumerable<string> ExpectedHosts() => Enumerable.Range(0, Count).Where(Survives).Select(HostName);

    public IEnumerable<string> RemovedHosts() => Enumerable.Range(0, Count).Where(i => !Survives(i)).Select(HostName);

    public bool TouchesIntegrations => Kind is WorkloadKind.Integrations or WorkloadKind.Mixed;

    public bool TouchesEgress => Kind is WorkloadKind.Egress or WorkloadKind.Mixed;

    public bool TouchesKnownHosts => Kind is WorkloadKind.KnownHosts or WorkloadKind.Mixed;
}
