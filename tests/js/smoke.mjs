// Smoke test of vpcd with the AWS SDK for JavaScript v3 (@aws-sdk/client-ec2).
//
// Usage: node smoke.mjs [smoke|client-token]
// Environment: VPCD_ENDPOINT (http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY.
//
// Prints one JSON object on stdout: the scenario's results, and "wire", the
// Action and parameter names of every request the SDK sent.  Exits 1 when a
// step fails (the JSON then carries "error").
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteNetworkAclCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";

const endpoint = process.env.VPCD_ENDPOINT;
const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
if (!endpoint || !accessKeyId || !secretAccessKey) {
  console.error("set VPCD_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  process.exit(2);
}

const client = new EC2Client({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});

// Record what goes on the wire: the form body's Action and parameter names.
const wire = [];
client.middlewareStack.add(
  (next) => async (args) => {
    const body = args.request && typeof args.request.body === "string" ? args.request.body : "";
    const params = new URLSearchParams(body);
    wire.push({ action: params.get("Action"), params: [...params.keys()].sort() });
    return next(args);
  },
  { step: "finalizeRequest", name: "vpcdWireRecorder", priority: "low" },
);

const out = { wire };

function errorInfo(err) {
  return {
    name: err.name,
    message: err.message,
    status: err.$metadata ? err.$metadata.httpStatusCode : undefined,
    requestId: err.$metadata ? err.$metadata.requestId : undefined,
  };
}

async function smoke() {
  const created = { vpc: null, subnet: null, sg: null };
  try {
    const vpc = await client.send(new CreateVpcCommand({
      CidrBlock: "10.42.0.0/16",
      TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "js-smoke" }] }],
    }));
    created.vpc = vpc.Vpc.VpcId;
    out.createVpc = { vpcId: vpc.Vpc.VpcId, requestId: vpc.$metadata.requestId };

    const described = await client.send(new DescribeVpcsCommand({ VpcIds: [created.vpc] }));
    out.describeVpcs = described.Vpcs.map((v) => ({
      vpcId: v.VpcId, cidrBlock: v.CidrBlock, state: v.State, isDefault: v.IsDefault,
      tags: v.Tags,
    }));

    const subnet = await client.send(new CreateSubnetCommand({
      VpcId: created.vpc, CidrBlock: "10.42.1.0/24",
    }));
    created.subnet = subnet.Subnet.SubnetId;
    out.createSubnet = {
      subnetId: subnet.Subnet.SubnetId, vpcId: subnet.Subnet.VpcId,
      cidrBlock: subnet.Subnet.CidrBlock,
      availableIpAddressCount: subnet.Subnet.AvailableIpAddressCount,
    };

    const sg = await client.send(new CreateSecurityGroupCommand({
      GroupName: "js-web", Description: "JS SDK smoke test", VpcId: created.vpc,
    }));
    created.sg = sg.GroupId;
    const auth = await client.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: created.sg,
      IpPermissions: [{
        IpProtocol: "tcp", FromPort: 443, ToPort: 443,
        IpRanges: [{ CidrIp: "10.0.0.0/8", Description: "HTTPS from the LAN" }],
      }],
    }));
    out.authorize = {
      return: auth.Return,
      ruleIds: (auth.SecurityGroupRules || []).map((r) => r.SecurityGroupRuleId),
    };

    const groups = await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.sg] }));
    out.describeSecurityGroups = groups.SecurityGroups.map((g) => ({
      groupId: g.GroupId, groupName: g.GroupName, vpcId: g.VpcId,
      ipPermissions: g.IpPermissions, ipPermissionsEgress: g.IpPermissionsEgress,
    }));

    try {
      await client.send(new DescribeVpcsCommand({ VpcIds: ["vpc-0123456789abcdef0"] }));
      out.unknownVpc = { error: null };
    } catch (err) {
      out.unknownVpc = errorInfo(err);
    }
  } finally {
    // Delete in reverse order whatever was created, even after a failure.
    out.deleted = [];
    if (created.sg) {
      await client.send(new DeleteSecurityGroupCommand({ GroupId: created.sg }));
      out.deleted.push(created.sg);
    }
    if (created.subnet) {
      await client.send(new DeleteSubnetCommand({ SubnetId: created.subnet }));
      out.deleted.push(created.subnet);
    }
    if (created.vpc) {
      await client.send(new DeleteVpcCommand({ VpcId: created.vpc }));
      out.deleted.push(created.vpc);
    }
    out.remainingVpcs = (await client.send(new DescribeVpcsCommand({}))).Vpcs.map((v) => v.VpcId);
  }
}

// Calls for which this SDK fills in a ClientToken by itself.
async function clientToken() {
  const vpc = await client.send(new CreateVpcCommand({ CidrBlock: "10.43.0.0/16" }));
  const vpcId = vpc.Vpc.VpcId;
  out.results = {};
  try {
    for (const [name, create, del, idOf] of [
      ["CreateRouteTable", CreateRouteTableCommand, (id) => new DeleteRouteTableCommand({ RouteTableId: id }),
        (r) => r.RouteTable.RouteTableId],
      ["CreateNetworkAcl", CreateNetworkAclCommand, (id) => new DeleteNetworkAclCommand({ NetworkAclId: id }),
        (r) => r.NetworkAcl.NetworkAclId],
    ]) {
      try {
        const r = await client.send(new create({ VpcId: vpcId }));
        out.results[name] = { id: idOf(r) };
        await client.send(del(idOf(r)));
      } catch (err) {
        out.results[name] = errorInfo(err);
      }
    }
  } finally {
    await client.send(new DeleteVpcCommand({ VpcId: vpcId }));
  }
}

const scenario = process.argv[2] || "smoke";
const scenarios = { smoke, "client-token": clientToken };
if (!scenarios[scenario]) {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
try {
  await scenarios[scenario]();
  console.log(JSON.stringify(out, null, 2));
} catch (err) {
  out.error = errorInfo(err);
  console.log(JSON.stringify(out, null, 2));
  process.exit(1);
}
