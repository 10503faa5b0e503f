using System;
using System.Net;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

public sealed class ConnectionPlansTests
{
    private static readonly SslPolicyLevels s_noLevels = new(null, null);

    [Fact]
    public void AdHoc_TakesTheEnginesDefaultPort_AndSaysWhereTheModeCameFrom()
    {
        PlannedConnection plan = ConnectionPlans.ForAdHoc(new AdHocRequest(IntegrationType.MariaDB, "db.example.test", 0, "app", null, null, null, null, null), new SslPolicyLevels(ScSslMode.VerifyCA, null));
        Assert.Equal(3306, plan.Plan.Port);
        Assert.Equal(ScSslMode.VerifyCA, plan.Plan.Mode);
        Assert.Equal(SslModeSource.Default, plan.Plan.ModeSource);
        Assert.Empty(plan.Warnings);

        PlannedConnection own = ConnectionPlans.ForAdHoc(new AdHocRequest(IntegrationType.PostgreSQL, "db.example.test", 6432, null, null, ScSslMode.Required, null, null, null), s_noLevels);
        Assert.Equal(6432, own.Plan.Port);
        Assert.Equal(SslModeSource.Integration, own.Plan.ModeSource);
    }

    [Fact]
    public void ConnectionString_APasswordInItIsUsedButWarnedAbout_AndNeverInTheWarning()
    {
        PlannedConnection plan = ConnectionPlans.ForAdHoc(
            new AdHocRequest(IntegrationType.PostgreSQL, null, 0, null, "Host=db.example.test;Database=app;Username=report;Password=s3cret-pw", null, null, null, null), s_noLevels);
        Assert.Equal("db.example.test", plan.Plan.HostName);
        Assert.Equal(5432, plan.Plan.Port);
        Assert.Equal("report", plan.Login!.UserName);
        string warning = Assert.Single(plan.Warnings);
        Assert.Contains("-Credential", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectionString_ACredentialWinsOverTheStringsLogin_AndNoWarningWithoutAPassword()
    {
        PlannedConnection plan = ConnectionPlans.ForAdHoc(
            new AdHocRequest(IntegrationType.PostgreSQL, null, 0, null, "Host=db.example.test;Username=report", null, null, null, new NetworkCredential("etl", "x")), s_noLevels);
        Assert.Equal("etl", plan.Login!.UserName);
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void ConnectionString_WithoutAHost_IsInvalidConnectionString()
    {
        var error = Assert.Throws<SecureConnect.Common.SecureConnectException>(() => ConnectionPlans.ForAdHoc(
            new AdHocRequest(IntegrationType.PostgreSQL, null, 0, null, "Database=app", null, null, null, null), s_noLevels));
        Assert.Equal("InvalidConnectionString", error.ErrorId);
    }
}
