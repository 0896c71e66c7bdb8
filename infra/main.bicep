// The function app and the realtime service it sends through, in one resource group.
// Deploy: az deployment group create -g <group> --template-file infra/main.bicep --parameters appName=<name>
// infra/main.json is the same template as ARM JSON; keep the two in step (test/deploy/infra-template.test.ts).
// Then deploy the code: npm run package, and see docs/deployment.md.

@description('Function app name; also names the other resources.')
@minLength(2)
@maxLength(40)
param appName string = 'chat-${uniqueString(resourceGroup().id)}'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('The managed service that holds the clients\' connections.')
@allowed([
  'webpubsub'
  'signalr'
])
param realtimeService string = 'webpubsub'

@description('Pricing tier of the service.')
@allowed([
  'Free_F1'
  'Standard_S1'
])
param serviceSku string = 'Standard_S1'

@description('Hub the app uses.')
param hubName string = 'chat'

@description('How negotiate identifies callers: App Service Authentication or your own JWTs.')
@allowed([
  'easyauth'
  'jwt'
])
param identityMode string = 'easyauth'

@description('Groups a caller may request (comma list, * globs).')
param allowedGroups string = 'lobby,room-*'

@description('Web PubSub roles a caller may request (comma list, * globs).')
param allowedRoles string = 'webpubsub.joinLeaveGroup.room-*,webpubsub.sendToGroup.lobby'

@description('With SignalR: path of the function app that receives upstream events, /api/signalr/{hub}/{category}/{event}?code=<function key of signalrUpstream>. Empty: no upstream.')
param signalrUpstreamPath string = ''

var serviceName = '${appName}-${realtimeService}'
var storageName = take('st${uniqueString(resourceGroup().id, appName)}', 24)
var appHost = '${appName}.azurewebsites.net'
var eventHandlerUrl = 'https://${appHost}/api/events/{hub}'
var serviceTier = serviceSku == 'Free_F1' ? 'Free' : 'Standard'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'functionapp'
  sku: {
    name: 'Y1'
    tier: 'Dynamic'
  }
  properties: {
    reserved: true
  }
}

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = if (realtimeService == 'webpubsub') {
  name: serviceName
  location: location
  sku: {
    name: serviceSku
    tier: serviceTier
    capacity: 1
  }
  properties: {
    publicNetworkAccess: 'Enabled'
  }
}

resource webPubSubHub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = if (realtimeService == 'webpubsub') {
  parent: webPubSub
  name: hubName
  properties: {
    anonymousConnectPolicy: 'deny'
    eventHandlers: [
      {
        urlTemplate: eventHandlerUrl
        userEventPattern: '*'
        systemEvents: [
          'connect'
          'connected'
          'disconnected'
        ]
      }
    ]
  }
}

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' = if (realtimeService == 'signalr') {
  name: serviceName
  location: location
  kind: 'SignalR'
  sku: {
    name: serviceSku
    tier: serviceTier
    capacity: 1
  }
  properties: {
    features: [
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
    ]
    upstream: {
      templates: empty(signalrUpstreamPath) ? [] : [
        {
          urlTemplate: 'https://${appHost}${signalrUpstreamPath}'
          hubPattern: '*'
          eventPattern: '*'
          categoryPattern: '*'
        }
      ]
    }
  }
}

var commonSettings = [
  {
    name: 'AzureWebJobsStorage'
    value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
  }
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'node'
  }
  {
    name: 'RealtimeService'
    value: realtimeService
  }
  {
    name: 'IdentityMode'
    value: identityMode
  }
  {
    name: 'AllowedGroups'
    value: allowedGroups
  }
  {
    name: 'AllowedRoles'
    value: allowedRoles
  }
]

resource functionApp 'Microsoft.Web/sites@2023-12-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'Node|22'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(commonSettings, realtimeService == 'webpubsub' ? [
        {
          name: 'WebPubSubConnectionString'
          value: webPubSub.listKeys().primaryConnectionString
        }
        {
          name: 'WebPubSubHub'
          value: hubName
        }
      ] : [
        {
          name: 'AzureSignalRConnectionString'
          value: signalR.listKeys().primaryConnectionString
        }
        {
          name: 'SignalRHub'
          value: hubName
        }
      ])
    }
  }
}

output functionAppName string = functionApp.name
output functionBaseUrl string = 'https://${appHost}/api'
output eventHandlerUrl string = realtimeService == 'webpubsub' ? eventHandlerUrl : (empty(signalrUpstreamPath) ? '' : 'https://${appHost}${signalrUpstreamPath}')
