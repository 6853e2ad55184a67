// A blob container of Azurite, through the Azure Storage SDK (pgBackRest does not create its
// container). Trusts Azurite's test certificate through NODE_EXTRA_CA_CERTS (set by the caller).
// Usage: AZURE_STORAGE_ACCOUNT=.. AZURE_STORAGE_KEY=.. node container.js create|list ENDPOINT CONTAINER
//   create  creates the container (no error when it exists)
//   list    prints the name of every blob of the container, one a line
const { BlobServiceClient, StorageSharedKeyCredential } = require('@azure/storage-blob');

const [command, endpoint, name] = process.argv.slice(2);
const account = process.env.AZURE_STORAGE_ACCOUNT;
const key = process.env.AZURE_STORAGE_KEY;
const container = new BlobServiceClient(
  `${endpoint}/${account}`,
  new StorageSharedKeyCredential(account, key),
).getContainerClient(name);

async function main() {
  if (command === 'create') {
    await container.createIfNotExists();
  } else if (command === 'list') {
    for await (const blob of container.listBlobsFlat()) {
      console.log(blob.name);
    }
  } else {
    throw new Error(`unknown command ${command}: create or list`);
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
