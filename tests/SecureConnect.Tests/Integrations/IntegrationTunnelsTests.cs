using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Integrations;

/// <summary>The saved SSH Tunnel integration: its rules, which integrations a name list starts, and how code uses it.</summary>
public sealed class IntegrationTunnelsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-xunit-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>A stand-in for PowerShell's WildcardPattern, whose reference assembly does nothing outside PowerShell: '*' and '?' only.</summary>
    private static Predicate<string>? Wildcard(string name) =>
        name.IndexOfAny(new[] { '*', '?' }) < 0
            ? null
            : new Regex("^" + Regex.Escape(name).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase).IsMatch;

    private static IntegrationRecord Tunnel(string name = "My SSH tunnel", int port = 5000, string? bastion = "bastion.example") => new()
    {
        Name = name,
        Type = IntegrationType.SshTunnel,
        HostName = "mlflow.internal",
        Port = port,
        SshBastion = bastion,
        SshBastionPort = 2222,
        SshUser = bastion is null ? null : "ops",
    };

    private static IntegrationRecord Database(string name = "orders", string? bastion = "bastion.example") => new()
    {
        Name = name,
        Type = IntegrationType.PostgreSQL,
        HostName = "db.internal",
        Port = 5432,
        SshBastion = bastion,
        SshUser = bastion is null ? null : "ops",
    };

    [Fact]
    public void ATunnel_WithPortAndBastion_IsValid()
    {
        IntegrationTunnels.Check(Tunnel());
    }

    [Fact]
    public void ATunnel_WithoutAPort_IsPortRequired()
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.Check(Tunnel(port: 0)));

        Assert.Equal(ErrorIds.PortRequired, error.ErrorId);
        Assert.Equal("My SSH tunnel", error.Target);
    }

    [Fact]
    public void ATunnel_WithoutABastion_IsSshBastionRequired()
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.Check(Tunnel(bastion: null)));

        Assert.Equal(ErrorIds.SshBastionRequired, error.ErrorId);
    }

    [Fact]
    public void ADatabase_KeepsItsOwnRules_NoBastionNeeded()
    {
        IntegrationTunnels.Check(Database(bastion: null));
    }

    [Theory]
    [InlineData("SslMode")]
    [InlineData("Credential")]
    [InlineData("CredentialSecret")]
    [InlineData("CaCertificatePath")]
    [InlineData("CrlPath")]
    [InlineData("Database")]
    [InlineData("Option")]
    public void EachSettingATunnelDoesNotHave_IsParameterNotApplicable(string parameter)
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.CheckParameters(IntegrationType.SshTunnel, "t", new[] { parameter }));

        Assert.Equal(ErrorIds.ParameterNotApplicable, error.ErrorId);
        Assert.Contains("-" + parameter + " does not apply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralSettings_AreNamedInOneError()
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.CheckParameters(IntegrationType.SshTunnel, "t", new[] { "Database", "SslMode" }));

        Assert.Contains("-SslMode, -Database do not apply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRouteParameters_ApplyToATunnel_AndEverythingAppliesToADatabase()
    {
        IntegrationTunnels.CheckParameters(IntegrationType.SshTunnel, "t", new[] { "HostName", "Port", "SshBastion", "SshUser", "SshJumpHost", "SshHostKeyFingerprint" });
        IntegrationTunnels.CheckParameters(IntegrationType.PostgreSQL, "db", IntegrationTunnels.NotApplicableParameters);
    }

    [Fact]
    public void SetSslPolicy_OnATunnel_IsParameterNotApplicable_AndOnADatabaseIsAllowed()
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.CheckSslMode(Tunnel()));

        Assert.Equal(ErrorIds.ParameterNotApplicable, error.ErrorId);
        IntegrationTunnels.CheckSslMode(Database());
    }

    [Theory]
    [InlineData("my-ssh-tunnel")]
    [InlineData("MY_SSH_TUNNEL")]
    [InlineData("my ssh.tunnel")]
    public void ASecondTunnel_ThatWouldSetTheSameVariables_IsTunnelNameConflict(string other)
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.CheckVariables(Tunnel(), new[] { Tunnel(other) }));

        Assert.Equal(ErrorIds.TunnelNameConflict, error.ErrorId);
        Assert.Contains("MY_SSH_TUNNEL_LOCAL_HOST", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VariablesOfADatabase_OrOfAnotherName_DoNotConflict()
    {
        IntegrationTunnels.CheckVariables(Tunnel(), new[] { Database("my-ssh-tunnel"), Tunnel("other tunnel") });
    }

    [Fact]
    public void AWildcard_StartsSavedTunnelsOnly()
    {
        IntegrationRecord[] all = { Database("orders"), Tunnel("mlflow"), Tunnel("redis"), Database("reporting", bastion: null) };

        var selected = IntegrationTunnels.Select(all, new[] { "*" }, Wildcard).ToList();

        Assert.All(selected, s => Assert.Null(s.Error));
        Assert.Equal(new[] { "mlflow", "redis" }, selected.Select(s => s.Record!.Name));
    }

    [Fact]
    public void AWildcardThatMatchesNone_IsNoError()
    {
        IntegrationRecord[] all = { Database("orders"), Tunnel("mlflow") };

        Assert.Empty(IntegrationTunnels.Select(all, new[] { "ord*", "nothing-*" }, Wildcard));
    }

    [Fact]
    public void AnExplicitName_SelectsADatabaseToo_CaseInsensitively()
    {
        IntegrationRecord[] all = { Database("orders"), Tunnel("mlflow") };

        var selected = IntegrationTunnels.Select(all, new[] { "ORDERS" }, Wildcard).Single();

        Assert.Equal("orders", selected.Record!.Name);
    }

    [Fact]
    public void AnExplicitNameThatDoesNotExist_IsIntegrationNotFound_AndTheOthersAreStillSelected()
    {
        IntegrationRecord[] all = { Tunnel("mlflow"), Tunnel("redis") };

        var selected = IntegrationTunnels.Select(all, new[] { "missing", "redis" }, Wildcard).ToList();

        Assert.Equal(2, selected.Count);
        Assert.Equal(ErrorIds.IntegrationNotFound, selected[0].Error!.ErrorId);
        Assert.Equal("missing", selected[0].Error!.Target);
        Assert.Equal("redis", selected[1].Record!.Name);
    }

    [Fact]
    public void AnIntegrationNamedTwice_IsSelectedOnce()
    {
        IntegrationRecord[] all = { Tunnel("mlflow"), Tunnel("redis") };

        var selected = IntegrationTunnels.Select(all, new[] { "mlflow", "*", "MLFLOW" }, Wildcard).Select(s => s.Record!.Name).ToList();

        Assert.Equal(new[] { "mlflow", "redis" }, selected);
    }

    [Fact]
    public void TheNamedTunnel_IsTheQueriesTunnel_WithTheIntegrationsName()
    {
        IntegrationRecord record = Tunnel();
        record.SshJumpHost = new[] { "edge@jump.example:2200" };
        record.SshHostKeyFingerprint = "SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE";

        TunnelSpec spec = IntegrationTunnels.Named(record);

        TunnelSpec queries = IntegrationTunnels.For(record)!;

        // The same tunnel a query of the integration starts, so the two share it (lists compared apart: by reference in a record).
        Assert.Equal(queries with { NameIsLabel = false, JumpHops = spec.JumpHops }, spec);
        Assert.Equal(queries.JumpHops, spec.JumpHops);
        Assert.Equal("My SSH tunnel", spec.Name);
        Assert.Equal(new SshHop("bastion.example", 2222, "ops"), spec.Bastion);
        Assert.Equal(new SshHop("jump.example", 2200, "edge"), Assert.Single(spec.JumpHops));
        Assert.Equal(("mlflow.internal", 5000), (spec.RemoteHost, spec.RemotePort));
        Assert.Equal(0, spec.LocalPort);
        Assert.Equal(HostKeyPolicy.Strict, spec.Policy);
        Assert.Equal(record.SshHostKeyFingerprint, spec.PinnedFingerprint);
        Assert.True(spec.Reconnect);
        Assert.Equal(TimeSpan.FromSeconds(30), spec.KeepAliveInterval);
        // A query's tunnel is labelled with the integration's name (dropped when taken); Start-SshTunnel's holds it.
        Assert.Equal("My SSH tunnel", queries.Name);
        Assert.True(queries.NameIsLabel);
        Assert.False(spec.NameIsLabel);
    }

    [Fact]
    public void ADatabaseThatConnectsDirectly_HasNoTunnelToStart()
    {
        Assert.Null(IntegrationTunnels.For(Database(bastion: null)));
        var error = Assert.Throws<SecureConnectException>(() => IntegrationTunnels.Named(Database(bastion: null)));

        Assert.Equal(ErrorIds.SshBastionRequired, error.ErrorId);
    }

    [Fact]
    public void TheUsageLines_UseOnlyTheTwoVariables()
    {
        Assert.Equal(("MY_SSH_TUNNEL_LOCAL_HOST", "MY_SSH_TUNNEL_LOCAL_PORT"), TunnelUsage.Variables("My SSH tunnel"));
        Assert.Equal(
            "Invoke-RestMethod \"http://$($env:MY_SSH_TUNNEL_LOCAL_HOST):$($env:MY_SSH_TUNNEL_LOCAL_PORT)/\"",
            TunnelUsage.PowerShell("My SSH tunnel"));
        Assert.Equal(
            "import os, requests; requests.get(f\"http://{os.environ['MY_SSH_TUNNEL_LOCAL_HOST']}:{os.environ['MY_SSH_TUNNEL_LOCAL_PORT']}/\")",
            TunnelUsage.Python("My SSH tunnel"));
    }

    [Theory]
    [InlineData("My SSH tunnel")]
    [InlineData("orders")]
    [InlineData("a")]
    [InlineData("pg-1.prod_eu")]
    public void IntegrationNames_AreFreeTextWithinFileSafeCharacters(string name)
    {
        IntegrationStore.ValidateName(name);
        EnvironmentNames.Validate(name);
    }

    [Theory]
    [InlineData(" leading space")]
    [InlineData("trailing space ")]
    [InlineData("slash/name")]
    [InlineData("star*")]
    [InlineData("-dash")]
    [InlineData("tab\tname")]
    public void IntegrationNames_WithPathWildcardOrEdgeCharacters_AreRefused(string name)
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationStore.ValidateName(name));

        Assert.Equal(ErrorIds.InvalidIntegrationName, error.ErrorId);
    }

    [Fact]
    public void ATunnelIntegration_ShowsNoSslMode_ButItsVariablesAndUsage()
    {
        var store = new IntegrationStore(new WorkspaceStore(new WorkspacePaths(_root)));

        Integration shown = store.ToPublic(Tunnel(), new SslPolicyLevels(SslMode.VerifyFull, SslMode.Required), hasCredential: false);

        Assert.Null(shown.SslMode);
        Assert.Equal("NotApplicable", shown.SslModeSource);
        Assert.Equal("MY_SSH_TUNNEL_LOCAL_HOST", shown.LocalHostVariable);
        Assert.Equal("MY_SSH_TUNNEL_LOCAL_PORT", shown.LocalPortVariable);
        Assert.Equal(TunnelUsage.PowerShell("My SSH tunnel"), shown.PowerShellExample);
        Assert.Equal(TunnelUsage.Python("My SSH tunnel"), shown.PythonExample);
    }

    [Fact]
    public void ADatabaseIntegration_KeepsItsSslMode_AndShowsVariablesOnlyWithABastion()
    {
        var store = new IntegrationStore(new WorkspaceStore(new WorkspacePaths(_root)));
        var levels = new SslPolicyLevels(SslMode.VerifyFull, null);

        Integration tunneled = store.ToPublic(Database(), levels, hasCredential: false);
        Integration direct = store.ToPublic(Database(bastion: null), levels, hasCredential: false);

        Assert.Equal(SslMode.VerifyFull, tunneled.SslMode);
        Assert.Equal("Default", tunneled.SslModeSource);
        Assert.Equal("ORDERS_LOCAL_HOST", tunneled.LocalHostVariable);
        Assert.Null(tunneled.PowerShellExample);
        Assert.Null(tunneled.PythonExample);
        Assert.Null(direct.LocalHostVariable);
        Assert.Null(direct.LocalPortVariable);
    }

    [Fact]
    public void TheStore_RefusesATunnelWithoutAPort_AndWritesNothing()
    {
        var workspace = new WorkspaceStore(new WorkspacePaths(_root));
        var store = new IntegrationStore(workspace);

        var error = Assert.Throws<SecureConnectException>(() => store.Add(Tunnel(port: 0)));

        Assert.Equal(ErrorIds.PortRequired, error.ErrorId);
        Assert.Empty(store.All());
    }

    [Fact]
    public void TheStore_KeepsTheRulesOnUpdate_NoBastionIsRefused_AndTheRecordIsUnchanged()
    {
        var store = new IntegrationStore(new WorkspaceStore(new WorkspacePaths(_root)));
        store.Add(Tunnel());

        var error = Assert.Throws<SecureConnectException>(() => store.Update("My SSH tunnel", r => r.SshBastion = null));

        Assert.Equal(ErrorIds.SshBastionRequired, error.ErrorId);
        Assert.Equal("bastion.example", store.Get("My SSH tunnel").SshBastion);
    }

    [Fact]
    public void TheStore_RefusesASecondTunnelWithTheSameVariables()
    {
        var store = new IntegrationStore(new WorkspaceStore(new WorkspacePaths(_root)));
        store.Add(Tunnel("My SSH tunnel"));

        var error = Assert.Throws<SecureConnectException>(() => store.Add(Tunnel("my-ssh-tunnel")));

        Assert.Equal(ErrorIds.TunnelNameConflict, error.ErrorId);
        Assert.Single(store.All());
    }
}
