import type { NextConfig } from 'next';

const config: NextConfig = {
  // The workspace's packages are built ESM; Next bundles them like any dependency.
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
