# A small VPC as Terraform's AWS provider builds it, applied against vpcd by
# tests/api/test_terraform.py.  The test passes the endpoint and keys as
# variables; nothing here needs the network.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = var.access_key
  secret_key                  = var.secret_key
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1

  endpoints {
    ec2 = var.endpoint
  }
}

locals {
  tags = {
    Project = "vpcd-terraform-test"
  }
}

# enable_dns_hostnames is left alone: setting it makes the provider wait 10 s
# before it reads the attribute back.
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
  tags       = merge(local.tags, { Name = "tf-main" })
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "us-east-1a"
  tags              = merge(local.tags, { Name = "tf-public" })
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.2.0/24"
  availability_zone = "us-east-1b"
  tags              = merge(local.tags, { Name = "tf-private" })
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
  tags   = merge(local.tags, { Name = "tf-igw" })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }

  tags = merge(local.tags, { Name = "tf-public-rt" })
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

# Rules managed by standalone resources only (no inline blocks).
resource "aws_security_group" "bastion" {
  name        = "tf-bastion"
  description = "Bastion hosts"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "tf-bastion" })
}

resource "aws_vpc_security_group_ingress_rule" "bastion_ssh" {
  security_group_id = aws_security_group.bastion.id
  cidr_ipv4         = "203.0.113.0/24"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "SSH from the office"
  tags              = merge(local.tags, { Name = "tf-bastion-ssh" })
}

resource "aws_vpc_security_group_egress_rule" "bastion_all" {
  security_group_id = aws_security_group.bastion.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

# Inline rules referencing CIDRs and another group.
resource "aws_security_group" "app" {
  name        = "tf-app"
  description = "Application servers"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  ingress {
    description     = "SSH from the bastion"
    from_port       = 22
    to_port         = 22
    protocol        = "tcp"
    security_groups = [aws_security_group.bastion.id]
  }

  ingress {
    from_port   = 8
    to_port     = 0
    protocol    = "icmp"
    cidr_blocks = ["10.20.0.0/16"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = merge(local.tags, { Name = "tf-app" })
}

resource "aws_security_group" "db" {
  name        = "tf-db"
  description = "Databases"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "tf-db" })
}

resource "aws_security_group_rule" "db_from_app" {
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  protocol                 = "tcp"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.app.id
}

resource "aws_network_acl" "private" {
  vpc_id     = aws_vpc.main.id
  subnet_ids = [aws_subnet.private.id]

  ingress {
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = "10.20.0.0/16"
    from_port  = 5432
    to_port    = 5432
  }

  ingress {
    rule_no    = 200
    protocol   = "icmp"
    action     = "allow"
    cidr_block = "10.20.0.0/16"
    from_port  = 0
    to_port    = 0
    icmp_type  = 8
    icmp_code  = -1
  }

  ingress {
    rule_no    = 300
    protocol   = "-1"
    action     = "deny"
    cidr_block = "192.0.2.0/24"
    from_port  = 0
    to_port    = 0
  }

  egress {
    rule_no    = 100
    protocol   = "tcp"
    action     = "allow"
    cidr_block = "10.20.0.0/16"
    from_port  = 1024
    to_port    = 65535
  }

  tags = merge(local.tags, { Name = "tf-private-acl" })
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "app_sg_id" {
  value = aws_security_group.app.id
}

output "acl_id" {
  value = aws_network_acl.private.id
}
